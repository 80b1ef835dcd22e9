namespace GaLore.Cli.Tests;

/// <summary>Bad input of any kind: exit code 2 and one line on stderr naming the problem.</summary>
public class ErrorExitTests
{
    [Theory]
    [InlineData("unknown model 'gpt-5'", "fit", "--model", "gpt-5")]
    [InlineData("not found", "fit", "--model", "/no/such/dir/config.json")]
    [InlineData("unknown optimizer 'sgdw'", "fit", "--optim", "sgdw")]
    [InlineData("unknown GPU 'tpu-v5'", "fit", "--gpu", "tpu-v5")]
    [InlineData("--batch must be a positive integer, got -4", "fit", "--batch", "-4")]
    [InlineData("--seq must be a positive integer, got 0", "fit", "--seq", "0")]
    [InlineData("rank 8192 is larger than", "fit", "--rank", "8192")]
    [InlineData("unknown dtype 'fp8'", "fit", "--dtype", "fp8")]
    [InlineData("unknown proj_type", "fit", "--proj-type", "diagonal")]
    [InlineData("optim_args key 'foo'", "fit", "--optim-args", "foo=1")]
    [InlineData("match no Linear module", "fit", "--target-modules", "nothing")]
    [InlineData("unknown attention", "fit", "--attention", "ring")]
    [InlineData("--reserve must be a non-negative", "fit", "--reserve", "-1")]
    [InlineData("error:", "fit", "--batch", "abc")]
    [InlineData("error:", "fit", "--no-such-option")]
    [InlineData("error:", "no-such-command")]
    public void Bad_input_is_one_line_and_exit_code_2(string fragment, params string[] args)
    {
        var (exit, output, error) = CliRunner.Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(fragment, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Malformed_config_json_is_an_input_error()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file + ".json", "{ \"model_type\": \"llama\", ");
            var (exit, _, error) = CliRunner.Run("fit", "--model", file + ".json");
            Assert.Equal(2, exit);
            Assert.Contains("not valid JSON", error);
        }
        finally { File.Delete(file); File.Delete(file + ".json"); }
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("fit", "--help")]
    [InlineData("models")]
    [InlineData("gpus", "--json")]
    public void Help_and_listings_succeed(params string[] args)
    {
        var (exit, output, _) = CliRunner.Run(args);
        Assert.Equal(0, exit);
        Assert.NotEmpty(output);
    }
}
