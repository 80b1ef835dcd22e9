using System.Text;

namespace GaLore.Cli.Reports;

/// <summary>
/// Renders a <see cref="ReportDocument"/> as GitHub-flavoured Markdown: pipe tables (numeric columns
/// right-aligned), fenced code, figures as an image link to the PNG followed by links to its SVG and CSV.
/// </summary>
public static class MarkdownPage
{
    /// <summary>The whole page.</summary>
    public static string Render(ReportDocument doc)
    {
        var w = new StringBuilder();
        w.Append("# ").Append(doc.Title).Append("\n\n");
        foreach (var block in doc.Blocks)
        {
            switch (block)
            {
                case Heading h:
                    w.Append('#', h.Level).Append(' ').Append(h.Text).Append('\n');
                    break;
                case Paragraph p:
                    w.Append(p.Text).Append('\n');
                    break;
                case BulletList l:
                    foreach (var item in l.Items) w.Append("- ").Append(item).Append('\n');
                    break;
                case CodeBlock c:
                    w.Append("```").Append(c.Language).Append('\n').Append(c.Text.TrimEnd('\n')).Append("\n```\n");
                    break;
                case TableBlock t:
                    Table(w, t.Table);
                    break;
                case FigureBlock f:
                    var fig = f.Figure;
                    w.Append($"![{fig.Caption}]({fig.Png})\n\n");
                    w.Append($"*{fig.Caption}* — [SVG]({fig.Svg}) · [data (CSV)]({fig.Csv})\n");
                    break;
            }
            w.Append('\n');
        }
        return w.ToString().TrimEnd('\n') + "\n";
    }

    /// <summary>A pipe table.</summary>
    public static string Table(ReportTable table)
    {
        var w = new StringBuilder();
        Table(w, table);
        return w.ToString();
    }

    static void Table(StringBuilder w, ReportTable table)
    {
        w.Append('|');
        foreach (var c in table.Columns) w.Append(' ').Append(Cell(c.Header)).Append(" |");
        w.Append("\n|");
        foreach (var c in table.Columns) w.Append(c.Numeric ? "---:|" : "---|");
        w.Append('\n');
        foreach (var (cells, mark) in table.Rows)
        {
            w.Append('|');
            foreach (var cell in cells)
            {
                string text = Cell(cell);
                w.Append(' ').Append(mark == RowMark.Highlight && text.Length > 0 ? $"**{text}**" : text).Append(" |");
            }
            w.Append('\n');
        }
    }

    static string Cell(string text) => text.Replace("|", "\\|").Replace("\n", " ");
}
