/** The conformance package's README, rendered at build time into the "Writing a backend" guide. */
import readme from "../../../../packages/conformance/README.md?raw";
import { renderMarkdown } from "../markdown.js";

const target = document.getElementById("readme") as HTMLElement;
target.innerHTML = renderMarkdown(readme, 1);
target.dataset.state = "done";
