using System.Text.Json;
using GaLore.Cli.Tests.Reports;
using GaLore.Planner.Optimizers;

namespace GaLore.Cli.Tests;

/// <summary>Every Hugging Face <c>optim</c> name (and alias) works in fit, sweep and report, and help lists them.</summary>
public class OptimizerNamesCliTests
{
    public static TheoryData<string> HfNames() => new(OptimizerCatalog.HuggingFaceNames.Concat(["adamw_hf"]));

    [Theory]
    [MemberData(nameof(HfNames))]
    public void Fit_and_sweep_accept_every_hf_name(string name)
    {
        var (exit, output, error) = CliRunner.Run("fit", "-m", "llama-60m", "-o", name, "--json");
        Assert.True(exit == 0, error);
        using var doc = JsonDocument.Parse(output);
        var q = doc.RootElement.GetProperty("query");
        Assert.Equal(OptimizerSpec.Parse(name).Name, q.GetProperty("optimizer").GetString());
        Assert.True(doc.RootElement.GetProperty("breakdown").GetProperty("weights").GetInt64() > 0);
        var sweep = CliRunner.Run("sweep", "-m", "llama-60m", "-o", name, "--vary", "batch=1..4", "--json");
        Assert.True(sweep.Exit == 0, sweep.Err);
    }

    [Fact]
    public void Report_accepts_every_hf_name_and_writes_one_row_per_optimizer()
    {
        using var dir = new ReportFolder();
        var (exit, _, error) = CliRunner.Run("report", "--models", "llama-60m", "--optims", string.Join(",", OptimizerCatalog.HuggingFaceNames),
            "--chart-models", "llama-60m", "--out", dir.Path);
        Assert.True(exit == 0, error);
        var (header, rows) = ReportFolder.ReadCsv(dir["capacity.csv"]);
        int column = Array.IndexOf(header, "optimizer");
        Assert.Equal(40, rows.Select(r => r[column]).Distinct().Count());   // 42 names, two pairs of which are aliases
    }

    [Fact]
    public void Help_lists_the_names_grouped_by_library()
    {
        var (exit, output, _) = CliRunner.Run("fit", "--help");
        Assert.Equal(0, exit);
        foreach (var n in OptimizerCatalog.HuggingFaceNames) Assert.Contains(n, output);
        Assert.Contains("bitsandbytes:", output);
        Assert.Contains("APOLLO (apollo-torch", output);
        Assert.Contains("adamw_layerwise*", output);
    }

    [Fact]
    public void A_line_without_help_builds_no_catalogue_help_and_leaves_the_next_help_whole()
    {
        // A plain fit line skips the grouped descriptions (start-up) and System.CommandLine's help option; its bad input is
        // still one line with exit code 2, and a help line on the same thread afterwards lists the catalogue again.
        Assert.Equal(0, CliRunner.Run("fit").Exit);
        var (bad, _, err) = CliRunner.Run("fit", "--bogus");
        Assert.Equal(2, bad);
        Assert.Single(err.Trim().Split('\n'));
        var (exit, output, _) = CliRunner.Run("fit", "--help");
        Assert.Equal(0, exit);
        Assert.Contains("bitsandbytes:", output);
    }

    [Fact]
    public void Fit_text_groups_suggestions_and_explains_paging()
    {
        var (exit, output, _) = CliRunner.Run("fit", "-m", "llama-7b", "-o", "paged_adamw_8bit");
        Assert.Equal(1, exit);   // does not fit
        Assert.Contains("DOES NOT FIT", output);
        Assert.Contains("  full-parameter training:", output);
        Assert.Contains("  adapter fine-tuning", output);
        Assert.True(output.IndexOf("full-parameter training:", StringComparison.Ordinal) < output.IndexOf("adapter fine-tuning", StringComparison.Ordinal));
        Assert.Contains("evicts them to host RAM", output);
        using var doc = JsonDocument.Parse(CliRunner.Run("fit", "-m", "llama-7b", "-o", "paged_adamw_8bit", "--json").Out);
        Assert.True(doc.RootElement.GetProperty("paged_bytes").GetInt64() > 0);
        var groups = doc.RootElement.GetProperty("suggestions").EnumerateArray().Select(s => s.GetProperty("group").GetString()).ToList();
        Assert.Contains("full_parameter", groups);
        Assert.Contains("adapter", groups);
        Assert.All(groups, g => Assert.True(g is "full_parameter" or "adapter", g));
    }

    [Theory]
    [InlineData("rmsprop_bnb", "rmsprop_bnb_32bit")]
    [InlineData("adamw_torch", "adamw")]
    [InlineData("adamw_bnb_8bit", "adamw_8bit")]
    public void Aliases_print_the_canonical_name(string alias, string canonical)
    {
        using var doc = JsonDocument.Parse(CliRunner.Run("fit", "-m", "llama-60m", "-o", alias, "--json").Out);
        Assert.Equal(canonical, doc.RootElement.GetProperty("query").GetProperty("optimizer").GetString());
    }

    [Fact]
    public void A_key_the_name_does_not_read_is_a_one_line_error()
    {
        var (exit, _, error) = CliRunner.Run("fit", "-o", "lion_8bit", "--optim-args", "rank=8");
        Assert.Equal(2, exit);
        Assert.Contains("not read by lion_8bit", error);
        Assert.Single(error.Trim().Split('\n'));
    }
}
