/** The performance page: the committed BENCH.md, rendered at build time. */
import bench from "../../../../BENCH.md?raw";
import { renderMarkdown } from "../markdown.js";

const target = document.getElementById("bench") as HTMLElement;
// The document's own title is replaced by the page's.
target.innerHTML = renderMarkdown(bench.replace(/^# .*\n/, ""), 1);
target.dataset.state = "done";
