using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace GaLore.Cli.Reports;

/// <summary>
/// Renders a <see cref="ReportDocument"/> as one self-contained HTML page: the CSS is inline, nothing is
/// fetched from the network, and each chart's PNG is inline as a <c>data:</c> URI (read from the report folder), so the
/// page alone travels — mailed, attached, opened from anywhere. Each chart's SVG and CSV stay linked relative to the page.
/// <para>
/// Render check: a small inline script runs on <c>load</c> and writes the result on the <c>&lt;html&gt;</c>
/// element — <c>data-render-status="ok"</c> when every image is complete with a natural width above 0 and
/// at least <c>data-expect-tables</c> tables with body rows exist, otherwise <c>data-render-status="broken: …"</c>
/// naming what failed — plus <c>data-render-height</c>, the page's height in CSS pixels.
/// <c>scripts/check-report-html.sh</c> reads these from Chromium's <c>--dump-dom</c>.
/// </para>
/// </summary>
public static partial class HtmlPage
{
    /// <summary>The whole page; with <paramref name="folder"/> (the report folder) chart images are inlined, without it
    /// they are referenced by relative path.</summary>
    public static string Render(ReportDocument doc, string? folder = null)
    {
        int tables = doc.Blocks.OfType<TableBlock>().Count();
        var w = new StringBuilder();
        w.Append($"<!DOCTYPE html>\n<html lang=\"en\" data-expect-tables=\"{tables}\" data-render-status=\"pending\">\n<head>\n");
        w.Append("<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        w.Append($"<title>{Esc(doc.Title)}</title>\n<style>\n{Css}</style>\n</head>\n<body>\n<main>\n");
        w.Append($"<h1>{Esc(doc.Title)}</h1>\n");
        foreach (var block in doc.Blocks)
        {
            switch (block)
            {
                case Heading h:
                    w.Append($"<h{h.Level}>{Inline(h.Text)}</h{h.Level}>\n");
                    break;
                case Paragraph p:
                    w.Append($"<p>{Inline(p.Text)}</p>\n");
                    break;
                case BulletList l:
                    w.Append("<ul>\n");
                    foreach (var item in l.Items) w.Append($"<li>{Inline(item)}</li>\n");
                    w.Append("</ul>\n");
                    break;
                case CodeBlock c:
                    w.Append($"<pre><code>{Esc(c.Text.TrimEnd('\n'))}</code></pre>\n");
                    break;
                case TableBlock t:
                    Table(w, t.Table);
                    break;
                case FigureBlock f:
                    var fig = f.Figure;
                    w.Append($"<figure>\n<img src=\"{ImageSource(folder, fig.Png)}\" alt=\"{Esc(fig.Caption)}\">\n");
                    w.Append($"<figcaption>{Inline(fig.Caption)} <span class=\"links\"><a href=\"{Esc(fig.Svg)}\">SVG</a> · " +
                             $"<a href=\"{Esc(fig.Csv)}\">data (CSV)</a></span></figcaption>\n</figure>\n");
                    break;
            }
        }
        w.Append("</main>\n<script>\n").Append(Script).Append("</script>\n</body>\n</html>\n");
        return w.ToString();
    }

    static void Table(StringBuilder w, ReportTable table)
    {
        w.Append("<div class=\"table\"><table>\n<thead><tr>");
        foreach (var c in table.Columns) w.Append(c.Numeric ? "<th class=\"num\">" : "<th>").Append(Esc(c.Header)).Append("</th>");
        w.Append("</tr></thead>\n<tbody>\n");
        foreach (var (cells, mark) in table.Rows)
        {
            w.Append(mark switch { RowMark.Highlight => "<tr class=\"pick\">", RowMark.Muted => "<tr class=\"muted\">", _ => "<tr>" });
            for (int i = 0; i < cells.Length; i++)
                w.Append(table.Columns[i].Numeric ? "<td class=\"num\">" : "<td>").Append(Inline(cells[i])).Append("</td>");
            w.Append("</tr>\n");
        }
        w.Append("</tbody>\n</table></div>\n");
    }

    /// <summary>Escapes text, then turns <c>`code`</c>, <c>**bold**</c> and <c>[text](href)</c> into elements.</summary>
    public static string Inline(string text)
    {
        string s = Esc(text);
        s = CodeSpan().Replace(s, "<code>$1</code>");
        s = Bold().Replace(s, "<strong>$1</strong>");
        return Link().Replace(s, "<a href=\"$2\">$1</a>");
    }

    static string Esc(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A PNG as a <c>data:</c> URI when its file is in <paramref name="folder"/>, else its relative path.</summary>
    static string ImageSource(string? folder, string png)
    {
        if (folder is null) return Esc(png);
        string file = Path.Combine(folder, png);
        if (!File.Exists(file)) throw new InvalidOperationException($"chart image {file} was not written before the page");
        return "data:image/png;base64," + Convert.ToBase64String(File.ReadAllBytes(file));
    }   // also safe inside double-quoted attributes

    [GeneratedRegex("`([^`]+)`")]
    private static partial Regex CodeSpan();

    [GeneratedRegex(@"\*\*([^*]+)\*\*")]
    private static partial Regex Bold();

    [GeneratedRegex(@"\[([^\]]+)\]\(([^)\s]+)\)")]
    private static partial Regex Link();

    const string Css = """
        :root { --ink: #1f2328; --muted: #656d76; --line: #d0d7de; --soft: #f6f8fa; --pick: #dafbe1; --accent: #0969da; }
        * { box-sizing: border-box; }
        body { margin: 0; background: #fff; color: var(--ink);
               font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; }
        main { max-width: 1240px; margin: 0 auto; padding: 28px 32px 64px; }
        h1 { font-size: 1.9em; margin: 0 0 .4em; padding-bottom: .3em; border-bottom: 1px solid var(--line); }
        h2 { font-size: 1.45em; margin: 1.8em 0 .6em; padding-bottom: .25em; border-bottom: 1px solid var(--line); }
        h3 { font-size: 1.15em; margin: 1.4em 0 .5em; }
        p, ul { margin: .5em 0 .9em; }
        a { color: var(--accent); text-decoration: none; }
        a:hover { text-decoration: underline; }
        code { font: .88em/1.4 ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; background: var(--soft);
               padding: .1em .35em; border-radius: 4px; }
        pre { background: #0d1117; color: #e6edf3; padding: 12px 16px; border-radius: 6px; overflow-x: auto; }
        pre code { background: none; padding: 0; color: inherit; white-space: pre-wrap; word-break: break-all; }
        .table { overflow-x: auto; margin: .6em 0 1.2em; border: 1px solid var(--line); border-radius: 6px; }
        table { border-collapse: collapse; width: 100%; font-size: .92em; }
        th, td { padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left; white-space: nowrap; }
        th { background: var(--soft); font-weight: 600; white-space: normal; vertical-align: bottom; }
        tbody tr:nth-child(even) { background: #fbfcfd; }
        tbody tr:last-child td { border-bottom: none; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
        tr.pick td { background: var(--pick); font-weight: 600; }
        tr.muted td { color: var(--muted); }
        figure { margin: 1em 0 1.6em; padding: 12px; border: 1px solid var(--line); border-radius: 6px; background: #fff; }
        figure img { display: block; max-width: 100%; height: auto; margin: 0 auto; }
        figcaption { color: var(--muted); font-size: .9em; margin-top: 8px; }
        figcaption .links { white-space: nowrap; margin-left: .4em; }

        """;

    const string Script = """
        window.addEventListener('load', function () {
          var root = document.documentElement, problems = [];
          var images = Array.prototype.slice.call(document.images);
          images.forEach(function (img) {
            if (!img.complete || img.naturalWidth === 0) problems.push('image ' + img.getAttribute('src'));
          });
          var tables = Array.prototype.filter.call(document.querySelectorAll('table'),
            function (t) { return t.tBodies.length > 0 && t.tBodies[0].rows.length > 0; }).length;
          var expected = parseInt(root.getAttribute('data-expect-tables') || '0', 10);
          if (tables < expected) problems.push(tables + ' of ' + expected + ' tables rendered');
          root.setAttribute('data-render-images', String(images.length));
          root.setAttribute('data-render-tables', String(tables));
          root.setAttribute('data-render-height', String(Math.ceil(document.documentElement.scrollHeight)));
          root.setAttribute('data-render-status', problems.length ? 'broken: ' + problems.join('; ') : 'ok');
        });

        """;
}
