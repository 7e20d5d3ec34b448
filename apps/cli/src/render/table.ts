/** Plain-text tables for the human output: columns padded to their widest cell. */

export interface Column {
  readonly header: string;
  /** Numbers read best right-aligned, names left-aligned. */
  readonly align?: "left" | "right";
}

/** The header and rows as lines, columns two spaces apart, no trailing spaces. */
export function table(columns: readonly Column[], rows: readonly (readonly string[])[]): string[] {
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? "";
        const width = widths[i] as number;
        return c.align === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}
