namespace GaLore.Cli.Tests.Tune;

/// <summary>Bad tune input: exit code 2 and one line naming the problem, before anything is timed.</summary>
public class TuneBadInputTests
{
    [Theory]
    [InlineData("--ranks must be a comma-separated list of integers: 'abc' is not an integer", "--ranks", "64,abc")]
    [InlineData("--ranks must be a comma-separated list of integers: '1.5' is not an integer", "--ranks", "1.5")]
    [InlineData("--gaps values must be positive integers, got -100", "--gaps", "50,-100")]
    [InlineData("--gaps values must be positive integers, got 0", "--gaps", "0")]
    [InlineData("--ranks is empty", "--ranks", ",")]
    [InlineData("unknown --refresh 'qr'", "--refresh", "qr")]
    [InlineData("does not use GaLore", "--optim", "adamw")]
    [InlineData("--overhead-budget must be a positive percentage", "--overhead-budget", "0")]
    [InlineData("--headroom must be a percentage in [0, 100)", "--headroom", "100")]
    [InlineData("--train-steps must be 0 or more, got -3", "--train-steps", "-3")]
    [InlineData("unknown device 'tpu'", "--device", "tpu")]
    [InlineData("unknown --measure-step", "--measure-step", "sometimes")]
    [InlineData("every rank in --ranks is larger than tiny's smallest projected side (32)", "--ranks", "64,128")]
    [InlineData("unknown model 'gpt-9'", "--model", "gpt-9")]
    public void Bad_input_is_one_line_and_exit_code_2(string fragment, string option, string value)
    {
        using var dir = new Reports.ReportFolder();
        string[] args = option == "--model"
            ? ["tune", option, value, "--out", dir.Path]
            : ["tune", "--model", "tiny", option, value, "--out", dir.Path];
        var (exit, output, error) = CliRunner.Run(args);
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains(fragment, error);
        Assert.Single(error.TrimEnd('\n').Split('\n'));
        Assert.False(Directory.Exists(dir.Path));                  // nothing written
    }

    [Fact]
    public void Out_is_required_and_help_works()
    {
        var (exit, _, error) = CliRunner.Run("tune", "--model", "tiny");
        Assert.Equal(2, exit);
        Assert.Contains("--out", error);
        var help = CliRunner.Run("tune", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("--overhead-budget", help.Out);
    }
}
