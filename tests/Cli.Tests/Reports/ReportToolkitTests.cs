using GaLore.Cli.Reports;
using GaLore.Cli.Reports.Charts;

namespace GaLore.Cli.Tests.Reports;

public class ReportToolkitTests
{
    [Fact]
    public void Markdown_and_html_render_the_same_document()
    {
        var doc = new ReportDocument("T <1>")
            .H2("Section")
            .P("Use `galore-plan fit` and **read** [the paper](https://arxiv.org/abs/2403.03507).")
            .Table(new ReportTable(new Column("name"), new Column("peak (GiB)", true)).Add("a|b", "1.00").Add(RowMark.Highlight, "c", "2.00"))
            .Chart(new Figure("charts/x", "A chart"));
        string md = MarkdownPage.Render(doc);
        Assert.Contains("| name | peak (GiB) |\n|---|---:|\n| a\\|b | 1.00 |\n| **c** | **2.00** |", md);
        Assert.Contains("![A chart](charts/x.png)", md);
        Assert.Contains("[data (CSV)](charts/x.csv)", md);
        string html = HtmlPage.Render(doc);
        Assert.Contains("<title>T &lt;1&gt;</title>", html);
        Assert.Contains("<code>galore-plan fit</code>", html);
        Assert.Contains("<strong>read</strong>", html);
        Assert.Contains("<a href=\"https://arxiv.org/abs/2403.03507\">the paper</a>", html);
        Assert.Contains("<tr class=\"pick\">", html);
        Assert.Contains("<td class=\"num\">2.00</td>", html);
        Assert.Contains("<img src=\"charts/x.png\"", html);
        Assert.Contains("data-expect-tables=\"1\"", html);
    }

    [Fact]
    public void Csv_is_invariant_and_quoted()
    {
        using var dir = new ReportFolder();
        CsvOut.Write(dir["a/t.csv"], ["name", "value_gib", "ok"], [["x, y", 1.23456789, true], ["z", null, false]]);
        Assert.Equal("name,value_gib,ok\n\"x, y\",1.2346,true\nz,,false\n", File.ReadAllText(dir["a/t.csv"]));
        Assert.Equal(1.0, CsvOut.Gib(1L << 30));
    }

    [Fact]
    public void Every_chart_kind_writes_a_png_and_an_svg()
    {
        using var dir = new ReportFolder();
        var labels = new ChartLabels("title", "x (GiB)", "y (GiB)");
        StackedBarChart.Save(dir.Path, "stacked", labels, ["a", "b"], [new Series("s1", [1, 2]), new Series("s2", [3, 4], "#123456")], 5, "limit");
        LineChart.Save(dir.Path, "line", labels, [new XySeries("l", [64, 128, 256], [3, 2, 1]), new XySeries("empty", [], [])], log2X: true, integerY: true);
        ParityChart.Save(dir.Path, "parity", labels, [new XySeries("g", [1, 2, 3], [1.1, 1.9, 3.2])]);
        GroupedBarChart.Save(dir.Path, "grouped", labels, ["weights", "activations"], [new Series("predicted", [1, 2]), new Series("measured", [1.1, -0.2])]);
        foreach (var stem in new[] { "stacked", "line", "parity", "grouped" })
        {
            Assert.True(ReportFolder.IsPng(dir[stem + ".png"]), stem);
            Assert.True(ReportFolder.IsSvg(dir[stem + ".svg"]), stem);
        }
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("24GiB", "24GiB")]
    [InlineData("my dir/x", "'my dir/x'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("", "''")]
    public void Shell_quoting(string arg, string quoted) => Assert.Equal(quoted, CommandLineText.Quote(arg));
}
