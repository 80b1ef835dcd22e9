using System.Diagnostics;
using System.Text.RegularExpressions;

namespace GaLore.Cli.Tests.Reports;

/// <summary>
/// The HTML reports render: their structure is checked always (tables with rows, every referenced file present
/// and a valid PNG, SVG or CSV); when Chromium is installed, scripts/check-report-html.sh also renders the
/// capacity report headless and checks the page's own render verdict (the sweep page uses the same renderer).
/// </summary>
public class ReportHtmlTests
{
    [Fact]
    public void Capacity_report_html_is_complete()
    {
        using var dir = new ReportFolder();
        Assert.Equal(0, CliRunner.Run("report", "--models", "llama-60m,llama-1b", "--optims", "adamw,galore_adamw,galore_adamw_8bit_layerwise",
            "--gpu", "rtx-3060,24GiB", "--out", dir.Path).Exit);
        CheckStructure(dir["report.html"], expectedTables: 5, expectedImages: 4);   // 2 GPUs × (recommendations, every row) + how many GPUs
        CheckInChromium(dir["report.html"], dir["screenshot.png"]);
    }

    [Fact]
    public void Sweep_html_is_complete()
    {
        using var dir = new ReportFolder();
        Assert.Equal(0, CliRunner.Run("sweep", "-m", "llama-60m", "-o", "galore_adamw", "-g", "8GiB", "--vary", "rank=64..256,batch=1..16,seq=256..1024",
            "--out", dir.Path).Exit);
        CheckStructure(dir["sweep.html"], expectedTables: 3, expectedImages: 1);   // same renderer: Chromium is run on the capacity report
    }

    static void CheckStructure(string page, int expectedTables, int expectedImages)
    {
        string html = File.ReadAllText(page);
        string folder = Path.GetDirectoryName(page)!;
        Assert.StartsWith("<!DOCTYPE html>", html);
        Assert.Contains("<style>", html);
        Assert.DoesNotContain("http://", html);          // self-contained: nothing fetched from the network
        Assert.DoesNotContain("https://", html);
        Assert.Contains("data-render-status=\"pending\"", html);
        var tables = Regex.Matches(html, "<table>.*?</table>", RegexOptions.Singleline);
        Assert.Equal(expectedTables, tables.Count);
        Assert.All(tables, t => Assert.Contains("<td", t.Value));
        Assert.All(tables, t => Assert.Contains("<th", t.Value));
        var images = Regex.Matches(html, "<img src=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(expectedImages, images.Count);
        // Self-contained: every chart is inline, a PNG in a data: URI, so the page alone travels.
        Assert.All(images, src => Assert.StartsWith("data:image/png;base64,", src));
        Assert.All(images, src => Assert.True(ReportFolder.IsPngBytes(Convert.FromBase64String(src["data:image/png;base64,".Length..])), "inline image is not a PNG"));
        var links = Regex.Matches(html, "<a href=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();
        Assert.All(links.Where(l => l.EndsWith(".svg")), l => Assert.True(ReportFolder.IsSvg(Path.Combine(folder, l)), l + " is not an SVG"));
        Assert.All(links.Where(l => l.EndsWith(".csv")), l => Assert.True(ReportFolder.ReadCsv(Path.Combine(folder, l)).Rows.Count > 0, l + " is empty"));
        Assert.Equal(2 * expectedImages, links.Count(l => l.EndsWith(".svg") || l.EndsWith(".csv")));
    }

    static void CheckInChromium(string page, string screenshot)
    {
        if (!new[] { "chromium", "chromium-browser", "google-chrome" }.Any(OnPath)) return;   // structure was checked above
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(ReportFolder.RepositoryRoot(), "scripts", "check-report-html.sh"));
        psi.ArgumentList.Add(page);
        psi.ArgumentList.Add(screenshot);
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(240_000), "check-report-html.sh timed out");
        Assert.True(p.ExitCode == 0, $"check-report-html.sh exited {p.ExitCode}: {stderr.Result}{stdout.Result}");
        Assert.StartsWith("ok:", stdout.Result);
        Assert.True(ReportFolder.IsPng(screenshot));
    }

    static bool OnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
        .Any(d => File.Exists(Path.Combine(d, name)));
}
