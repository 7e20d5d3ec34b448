/**
 * A small Markdown renderer for the repository's own documents (BENCH.md, package READMEs):
 * headings, paragraphs, lists, fenced code, tables, block quotes, and inline code, emphasis and
 * links. Everything is escaped first; no raw HTML passes through.
 */
import { mathHtml } from "./notation.js";

function escapeHtml(text: string): string {
  return text
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");
}

/** Inline markup of one line of text. */
export function inline(text: string): string {
  // Code and links are set aside first, so that the notation pass leaves identifiers in code
  // spans and underscores in URLs alone.
  const kept: string[] = [];
  const keep = (html: string) => {
    kept.push(html);
    return `\uE000${kept.length - 1}\uE001`;
  };
  let out = escapeHtml(text).replace(/`([^`]+)`/g, (_, code: string) =>
    keep(`<code>${code}</code>`),
  );
  out = out.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_, label: string, href: string) => {
    // Only in-page anchors and web links; relative repository paths are not pages of the site.
    const safe = /^(#|https?:)/.test(href) ? href : null;
    return keep(safe ? `<a href="${safe}">${mathHtml(label)}</a>` : mathHtml(label));
  });
  // Notation written as plain text (w_j, λ_max, ‖·‖_∞) set as subscripts, as the site's own.
  out = mathHtml(out)
    .replace(/\*\*([^*]+)\*\*/g, "<strong>$1</strong>")
    .replace(/(^|[^*\w])\*([^*\s][^*]*)\*/g, "$1<em>$2</em>");
  // A link's label may hold a code span: restore until nothing is set aside.
  while (/\uE000\d+\uE001/.test(out)) {
    out = out.replace(/\uE000(\d+)\uE001/g, (_, k: string) => kept[Number(k)] as string);
  }
  return out;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/<[^>]+>/g, "")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .replace(/\s+/g, "-");
}

/** The cells of a Markdown table row, trimmed. */
export function splitRow(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, "")
    .replace(/\|$/, "")
    .split("|")
    .map((c) => c.trim());
}

/** Renders a Markdown document to HTML; headings are shifted down by `shift` levels. */
export function renderMarkdown(source: string, shift = 0): string {
  // HTML comments are notes to the document's maintainers, not content.
  const lines = source
    .replace(/\r\n/g, "\n")
    .replace(/<!--[\s\S]*?-->/g, "")
    .split("\n");
  const html: string[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as string;
    if (/^```/.test(line)) {
      const lang = line.slice(3).trim();
      const body: string[] = [];
      i++;
      while (i < lines.length && !/^```/.test(lines[i] as string)) body.push(lines[i++] as string);
      i++;
      html.push(
        `<pre><code${lang ? ` class="language-${escapeHtml(lang)}"` : ""}>${escapeHtml(body.join("\n"))}</code></pre>`,
      );
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      const level = Math.min(6, (heading[1] as string).length + shift);
      const text = inline(heading[2] as string);
      html.push(`<h${level} id="${slug(text)}">${text}</h${level}>`);
      i++;
      continue;
    }
    if (/^\s*\|/.test(line) && /^\s*\|?\s*:?-+/.test(lines[i + 1] ?? "")) {
      const head = splitRow(line);
      const aligns = splitRow(lines[i + 1] as string).map((c) =>
        c.endsWith(":") && !c.startsWith(":") ? "num" : "",
      );
      i += 2;
      const rows: string[][] = [];
      while (i < lines.length && /^\s*\|/.test(lines[i] as string))
        rows.push(splitRow(lines[i++] as string));
      const cell = (tag: string, c: string, k: number) =>
        `<${tag}${aligns[k] ? ' class="num"' : ""}>${inline(c)}</${tag}>`;
      html.push(
        `<div class="table-wrap"><table><thead><tr>${head.map((c, k) => cell("th", c, k)).join("")}</tr></thead><tbody>${rows
          .map((r) => `<tr>${r.map((c, k) => cell("td", c, k)).join("")}</tr>`)
          .join("")}</tbody></table></div>`,
      );
      continue;
    }
    if (/^\s*([-*]|\d+\.)\s+/.test(line)) {
      const ordered = /^\s*\d+\./.test(line);
      const items: string[] = [];
      while (i < lines.length && (lines[i] as string).trim() !== "") {
        const l = lines[i] as string;
        if (/^\s*([-*]|\d+\.)\s+/.test(l)) items.push(l.replace(/^\s*([-*]|\d+\.)\s+/, ""));
        else items[items.length - 1] += ` ${l.trim()}`;
        i++;
      }
      const tag = ordered ? "ol" : "ul";
      html.push(`<${tag}>${items.map((t) => `<li>${inline(t)}</li>`).join("")}</${tag}>`);
      continue;
    }
    if (/^>\s?/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^>\s?/.test(lines[i] as string))
        body.push((lines[i++] as string).replace(/^>\s?/, ""));
      html.push(`<blockquote>${inline(body.join(" "))}</blockquote>`);
      continue;
    }
    if (line.trim() === "") {
      i++;
      continue;
    }
    const para: string[] = [];
    while (
      i < lines.length &&
      (lines[i] as string).trim() !== "" &&
      !/^(#{1,6}\s|```|\s*\||\s*([-*]|\d+\.)\s+|>)/.test(lines[i] as string)
    ) {
      para.push((lines[i++] as string).trim());
    }
    html.push(`<p>${inline(para.join(" "))}</p>`);
  }
  return html.join("\n");
}
