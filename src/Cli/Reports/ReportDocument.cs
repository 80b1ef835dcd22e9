namespace GaLore.Cli.Reports;

/// <summary>One block of a report: rendered to GitHub Markdown by <see cref="MarkdownPage"/> and to HTML by
/// <see cref="HtmlPage"/>, so both files always say the same thing.</summary>
public abstract record Block;

/// <summary>A section heading (level 2 or 3; level 1 is the document's title).</summary>
public sealed record Heading(int Level, string Text) : Block;

/// <summary>A paragraph. Inline markup: <c>`code`</c>, <c>**bold**</c> and <c>[text](href)</c>.</summary>
public sealed record Paragraph(string Text) : Block;

/// <summary>A bulleted list; items take the same inline markup as <see cref="Paragraph"/>.</summary>
public sealed record BulletList(IReadOnlyList<string> Items) : Block;

/// <summary>A preformatted block, e.g. the command that regenerates the report.</summary>
public sealed record CodeBlock(string Text, string Language = "bash") : Block;

/// <summary>A table.</summary>
public sealed record TableBlock(ReportTable Table) : Block;

/// <summary>A chart: <c>{Stem}.png</c> shown, <c>{Stem}.svg</c> and <c>{Stem}.csv</c> linked.</summary>
public sealed record FigureBlock(Figure Figure) : Block;

/// <summary>
/// A chart's files, relative to the report's folder: the PNG a page shows, the SVG for print, and the CSV
/// holding exactly the numbers drawn.
/// </summary>
/// <param name="Stem">Path without extension, relative to the report folder, e.g. <c>charts/breakdown-rtx-4090</c>.</param>
/// <param name="Caption">One sentence saying what the chart shows (and its units).</param>
public sealed record Figure(string Stem, string Caption)
{
    /// <summary>The raster image.</summary>
    public string Png => Stem + ".png";

    /// <summary>The vector image.</summary>
    public string Svg => Stem + ".svg";

    /// <summary>The data behind the chart.</summary>
    public string Csv => Stem + ".csv";
}

/// <summary>A report as a title and an ordered list of blocks, built fluently.</summary>
public sealed class ReportDocument(string title)
{
    readonly List<Block> blocks = [];

    /// <summary>The document's title (level-1 heading, HTML title).</summary>
    public string Title { get; } = title;

    /// <summary>The blocks in order.</summary>
    public IReadOnlyList<Block> Blocks => blocks;

    /// <summary>Every figure, in order.</summary>
    public IEnumerable<Figure> Figures => blocks.OfType<FigureBlock>().Select(f => f.Figure);

    /// <summary>Appends a level-2 heading.</summary>
    public ReportDocument H2(string text) => Add(new Heading(2, text));

    /// <summary>Appends a level-3 heading.</summary>
    public ReportDocument H3(string text) => Add(new Heading(3, text));

    /// <summary>Appends a paragraph.</summary>
    public ReportDocument P(string text) => Add(new Paragraph(text));

    /// <summary>Appends a bulleted list.</summary>
    public ReportDocument List(params string[] items) => Add(new BulletList(items));

    /// <summary>Appends a bulleted list.</summary>
    public ReportDocument List(IEnumerable<string> items) => Add(new BulletList(items.ToArray()));

    /// <summary>Appends a code block.</summary>
    public ReportDocument Code(string text, string language = "bash") => Add(new CodeBlock(text, language));

    /// <summary>Appends a table.</summary>
    public ReportDocument Table(ReportTable table) => Add(new TableBlock(table));

    /// <summary>Appends a figure.</summary>
    public ReportDocument Chart(Figure figure) => Add(new FigureBlock(figure));

    ReportDocument Add(Block b)
    {
        blocks.Add(b);
        return this;
    }
}
