namespace GaLore.Cli.Reports;

/// <summary>How a row is marked in HTML (Markdown shows <see cref="Highlight"/> rows in bold).</summary>
public enum RowMark
{
    /// <summary>No mark.</summary>
    None,
    /// <summary>The chosen row (e.g. the recommendation).</summary>
    Highlight,
    /// <summary>A row that does not fit (greyed out).</summary>
    Muted,
}

/// <summary>A table column: header text (with its unit, e.g. "peak (GiB)") and whether it is numeric
/// (right-aligned).</summary>
public sealed record Column(string Header, bool Numeric = false);

/// <summary>
/// A table of already formatted cells, rendered by <see cref="MarkdownPage"/> and <see cref="HtmlPage"/>.
/// Units belong in the header (the CLI's sizes are GiB = 2³⁰ bytes), never in the cells.
/// </summary>
public sealed class ReportTable(params Column[] columns)
{
    readonly List<(string[] Cells, RowMark Mark)> rows = [];

    /// <summary>The columns.</summary>
    public IReadOnlyList<Column> Columns { get; } = columns;

    /// <summary>The rows, each with its mark.</summary>
    public IReadOnlyList<(string[] Cells, RowMark Mark)> Rows => rows;

    /// <summary>Adds a row; it must have one cell per column.</summary>
    public ReportTable Add(params string[] cells) => Add(RowMark.None, cells);

    /// <summary>Adds a marked row.</summary>
    public ReportTable Add(RowMark mark, params string[] cells)
    {
        if (cells.Length != Columns.Count)
            throw new ArgumentException($"row has {cells.Length} cells, the table {Columns.Count} columns");
        rows.Add((cells, mark));
        return this;
    }
}
