// A Stryker ignorer: mutants of the text of error messages (`new …Error("…")`) are left out of
// the score. The Backend contract says a misuse throws (api-errors checks that it does), not what
// the message says; no conformance property can or should pin the wording down.
import { declareValuePlugin, PluginKind } from "@stryker-mutator/api/plugin";

const errorMessages = {
  shouldIgnore(path) {
    if (!(path.isStringLiteral() || path.isTemplateLiteral())) return undefined;
    const owner = path.findParent((p) => p.isNewExpression() || p.isFunction() || p.isStatement());
    const callee = owner?.isNewExpression() ? owner.node.callee : undefined;
    if (callee?.type === "Identifier" && /Error$/.test(callee.name)) {
      return "the wording of an error message is not part of the Backend contract";
    }
    return undefined;
  },
};

export const strykerPlugins = [
  declareValuePlugin(PluginKind.Ignore, "error-messages", errorMessages),
];
