namespace GaLore.Cli.Tests;

public class PlannerIsolationTests
{
    [Theory]
    [InlineData("fit")]
    [InlineData("models")]
    [InlineData("gpus")]
    public void Planner_commands_never_load_TorchSharp(string command)
    {
        var (exit, _, err) = ProcessRunner.Run(new Dictionary<string, string> { ["GALORE_PLAN_LIST_ASSEMBLIES"] = "1" }, command);
        Assert.Equal(0, exit);
        Assert.Contains("loaded: GaLore.Planner", err);
        Assert.DoesNotContain("loaded: TorchSharp", err);
        Assert.DoesNotContain("loaded: GaLore.Kernels", err);
    }

    [Fact]
    public void A_real_process_exits_2_with_one_line_on_bad_input()
    {
        var (exit, output, err) = ProcessRunner.Run(null, "fit", "--model", "nope");
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        string line = err.TrimEnd();
        Assert.DoesNotContain('\n', line);
        Assert.StartsWith("error: unknown model 'nope': use a preset (llama-60m, ", line);
        Assert.Contains(", qwen3-8b, ", line);
        Assert.EndsWith("), its Hugging Face id (org/name) or a path to a config.json", line);
    }
}
