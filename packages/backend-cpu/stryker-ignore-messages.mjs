// A Stryker ignorer: mutants of text that only ever reaches an error message are left out of the
// score. The Backend contract says a misuse throws (api-errors checks that it does), not what the
// message says; no conformance property can or should pin the wording down. Two kinds of text:
// - the message itself: a string inside `new …Error(…)`;
// - a label that the checks put into their messages and use for nothing else: the second
//   argument of `this.get(t, what, …)` and `this.float(t, what)` (and `what`'s default), the
//   first argument of core's `checkHostData(op, …)`, `checkSameShape(op, …)` and
//   `checkLinearShapes(op, …)`.
// Each kind is named in the reason Stryker records, so the report lists why each was left out.
import { declareValuePlugin, PluginKind } from "@stryker-mutator/api/plugin";

const LABEL_ARGUMENT = new Map([
  ["get", 1],
  ["float", 1],
  ["checkHostData", 0],
  ["checkSameShape", 0],
  ["checkLinearShapes", 0],
]);

/** The name of a call's function: `f(…)` → f, `this.f(…)` → f; undefined for anything else. */
function calleeName(call) {
  const callee = call.node.callee;
  if (callee.type === "Identifier") return callee.name;
  if (callee.type === "MemberExpression" && callee.object.type === "ThisExpression") {
    return callee.property.type === "Identifier" ? callee.property.name : undefined;
  }
  return undefined;
}

const errorMessages = {
  shouldIgnore(path) {
    if (!(path.isStringLiteral() || path.isTemplateLiteral())) return undefined;
    const owner = path.findParent((p) => p.isNewExpression() || p.isFunction() || p.isStatement());
    const callee = owner?.isNewExpression() ? owner.node.callee : undefined;
    if (callee?.type === "Identifier" && /Error$/.test(callee.name)) {
      return "the wording of an error message is not part of the Backend contract";
    }
    const parent = path.parentPath;
    if (parent?.isCallExpression()) {
      const index = LABEL_ARGUMENT.get(calleeName(parent));
      if (index !== undefined && parent.node.arguments[index] === path.node) {
        return "a label that only names the operand in error messages";
      }
    }
    if (
      parent?.isAssignmentPattern() &&
      parent.node.left.type === "Identifier" &&
      parent.node.left.name === "what"
    ) {
      return "the default label that only names the operand in error messages";
    }
    return undefined;
  },
};

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "error-messages", errorMessages),
];
