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
    [InlineData("--reserve: '-1' must be a non-negative size", "fit", "--reserve", "-1")]
    [InlineData("error:", "fit", "--batch", "abc")]
    [InlineData("error:", "fit", "--no-such-option")]
    [InlineData("error:", "no-such-command")]
    // Issue #14: repeated options without a value, empty values, typos, sizes beyond any GPU, overflow, devices as files.
    [InlineData("--gpu is given without a value", "fit", "--gpu", "h200", "--gpu")]
    [InlineData("--out is given an empty value", "sweep", "--out", "")]
    [InlineData("--model is given an empty value", "fit", "--model", "")]
    [InlineData("unknown command 'fti' (did you mean fit?)", "fti")]
    [InlineData("unknown option '--batc' (did you mean --batch?)", "fit", "--batc", "3")]
    [InlineData("(did you mean adamw_8bit?)", "fit", "--optim", "adamw_8bti")]
    [InlineData("unknown model 'llama-7c' (did you mean llama-7b?)", "fit", "--model", "llama-7c")]
    [InlineData("larger than any GPU", "fit", "--gpu", "99999999999GiB")]
    [InlineData("below 256 MiB", "fit", "--gpu", "0.0001")]
    [InlineData("--batch is 2,147,483,647, beyond any real run", "fit", "--batch", "2147483647", "--seq", "2147483647")]
    [InlineData("--cuda-context: '1e300' is larger than any GPU", "fit", "--cuda-context", "1e300")]
    [InlineData("--reserve: '1e300' is larger than any GPU", "fit", "--reserve", "1e300")]
    [InlineData("the CUDA context (30 GiB) is larger than", "sweep", "--cuda-context", "30GiB", "--vary", "batch=1..4")]
    [InlineData("optim_args beta1='nan' must be a number", "fit", "--optim", "adafactor", "--optim-args", "beta1=nan")]
    [InlineData("empty or not a regular file", "fit", "--model", "/dev/zero")]
    [InlineData("sweep: Batch value 2,097,152 is beyond any real run", "sweep", "--vary", "batch=1..2097152")]
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
