using System.Text.Json;

namespace GaLore.Cli.Tests.Profiling;

/// <summary>
/// <c>profile</c> and <c>fit</c> bind the same options into the same step: for every option they share, the prediction
/// <c>profile</c> compares its measurement with is the one <c>fit</c> prints. The options chosen are the ones
/// <c>profile</c> used to drop: Adafactor's <c>beta1</c> (a first moment, a memory term), a non-default <c>--scale</c>,
/// <c>--no-refresh</c> (no SVD workspace) and the runtime. A step of 4 tokens with lm_head projected puts the peak in the
/// optimizer step, where both the first moment and the refresh's workspace count.
/// </summary>
public sealed class FitProfileAgreementTests
{
    static readonly string[] Shared =
    [
        "-m", "tiny", "-o", "galore_adafactor", "--optim-args", "beta1=0.9", "--scale", "0.5", "--no-refresh", "--rank", "8",
        "--update-proj-gap", "200", "-b", "1", "-s", "4", "--target-modules", "all-linear", "--runtime", "torchsharp", "--gpu", "rtx-4090",
    ];

    [Fact]
    public void Profile_predicts_exactly_what_fit_predicts_for_the_same_arguments()
    {
        var (fitExit, fitOut, fitErr) = CliRunner.Run(["fit", .. Shared, "--json"]);
        Assert.True(fitExit == 0, fitErr);
        var (profExit, profOut, profErr) = CliRunner.Run(["profile", .. Shared, "--device", "cuda", "--predict-only", "--json"]);
        Assert.True(profExit == 0, profErr);
        using var fit = JsonDocument.Parse(fitOut);
        using var prof = JsonDocument.Parse(profOut);
        var f = fit.RootElement;
        var p = prof.RootElement;
        Assert.Equal(f.GetProperty("allocated_bytes").GetInt64(), p.GetProperty("allocated_bytes").GetInt64());
        Assert.Equal(f.GetProperty("reserved_bytes").GetInt64(), p.GetProperty("reserved_bytes").GetInt64());
        Assert.Equal(f.GetProperty("peak_bytes").GetInt64(), p.GetProperty("device_used_bytes").GetInt64());
        Assert.Equal(f.GetProperty("breakdown").GetRawText(), p.GetProperty("breakdown").GetRawText());
        var q = f.GetProperty("query");
        Assert.Equal(0.5, q.GetProperty("scale").GetDouble());
        Assert.Equal("beta1=0.9", q.GetProperty("optim_args").GetString());
        Assert.False(q.GetProperty("refresh_step").GetBoolean());
        string key = p.GetProperty("key").GetString()!;
        Assert.Contains("|scale0.5", key);
        Assert.Contains("|beta1=0.9", key);
        Assert.Contains("|T200|", key);
    }

    [Fact]
    public void The_options_change_the_prediction_so_dropping_one_would_be_seen()
    {
        long Peak(params string[] drop)
        {
            var args = new List<string>(Shared);
            foreach (var d in drop)
            {
                int i = args.IndexOf(d);
                bool flag = d == "--no-refresh";
                args.RemoveRange(i, flag ? 1 : 2);
            }
            var (exit, output, err) = CliRunner.Run(["fit", .. args, "--json"]);
            Assert.True(exit == 0, err);
            using var doc = JsonDocument.Parse(output);
            return doc.RootElement.GetProperty("allocated_bytes").GetInt64();
        }
        long all = Peak();
        Assert.NotEqual(all, Peak("--optim-args"));   // no first moment without beta1
        Assert.NotEqual(all, Peak("--no-refresh"));   // the refresh's SVD workspace
    }

    [Fact]
    public void Profile_refuses_a_runtime_it_cannot_measure_before_starting_a_worker()
    {
        var (exit, _, err) = CliRunner.Run("profile", "-m", "tiny", "-o", "adamw", "--runtime", "pytorch");
        Assert.Equal(2, exit);
        Assert.Contains("--runtime pytorch cannot be honoured", err);
        Assert.Single(err.Trim().Split('\n'));
    }
}
