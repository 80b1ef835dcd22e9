using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;
using GaLore.Planner.Models;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Tests.Support;

namespace GaLore.Profiler.Tests.Measurement;

[Collection("torch")]
public sealed class ProfileWorkerTests
{
    static ProfileRequest Tiny => TestRequests.For() with { Batch = 2, SeqLen = 16, BaselineWarmupSteps = 0 };

    [Theory]
    [InlineData("bf16", "cpu", true, ProfileWorker.BaselineRun.Replay)]   // the CPU meter can always "release its cache": the replay still runs
    [InlineData("mixed", "cpu", true, ProfileWorker.BaselineRun.Replay)]
    [InlineData("fp32", "cpu", true, ProfileWorker.BaselineRun.Warmup)]
    [InlineData("bf16", "cuda", false, ProfileWorker.BaselineRun.None)]
    [InlineData("bf16", "cuda", true, ProfileWorker.BaselineRun.Warmup)]
    public void A_16_bit_mixture_of_experts_on_the_cpu_replays_its_run_before_the_baseline(string precision, string device, bool canRelease,
        ProfileWorker.BaselineRun expected)
    {
        var moe = GaLore.Profiler.Validation.ValidationMatrix.MoeMixtral;
        var request = new ProfileRequest { Step = TestRequests.Step(moe, precision: precision), Device = device };
        Assert.Equal(expected, ProfileWorker.BaselinePreparation(request, canRelease));
        var dense = request with { Step = TestRequests.Step(TestModels.Tiny, precision: precision) };
        Assert.Equal(canRelease ? ProfileWorker.BaselineRun.Warmup : ProfileWorker.BaselineRun.None, ProfileWorker.BaselinePreparation(dense, canRelease));
    }

    [Fact]
    public void Main_reads_a_request_and_writes_one_result_line()
    {
        var input = new StringReader(ProfileJson.Serialize(Tiny with { Step = TestRequests.Step(ModelPresets.Find("tiny")!, precision: "bf16", checkpointing: true) }));
        var output = new StringWriter();
        int code = ProfileWorker.Main(input, output, TestOptimizers.Create);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        var result = ProfileJson.FindResult(lines[0]);
        Assert.NotNull(result);
        Assert.True(result!.Ok, result.Error);
        Assert.Equal(0, code);
        Assert.Equal("bf16", result.Request.Step.Precision.Name);
        Assert.True(result.Request.Step.Checkpointing);
        Assert.Equal(3, result.Losses.Count);
        Assert.True(result.MeasuredPeakBytes > 0);
    }

    [Fact]
    public void A_failing_factory_gives_an_error_row_and_exit_code_1()
    {
        var output = new StringWriter();
        int code = ProfileWorker.Main(new StringReader(ProfileJson.Serialize(Tiny with { Step = TestRequests.Step(ModelPresets.Find("tiny")!, "adafactor") })), output, TestOptimizers.Create);
        Assert.Equal(1, code);
        var result = ProfileJson.FindResult(output.ToString())!;
        Assert.Contains("knows only adamw, not 'adafactor'", result.Error);
        Assert.Null(result.MeasuredPeakBytes);
    }

    [Fact]
    public void An_unreadable_request_gives_exit_code_2() =>
        Assert.Equal(2, ProfileWorker.Main(new StringReader("{ not json"), new StringWriter(), TestOptimizers.Create));

    [Fact]
    public void Requests_and_results_round_trip_as_snake_case_json()
    {
        var setup = OptimizerSetup.FromOptimArgs("galore_adafactor_layerwise", "rank=8, update_proj_gap=200, scale=0.5, beta1=0.9",
            TargetModules.Parse(@"regex:.*\.(q|v)_proj"));
        var step = new StepSpec(ModelPresets.Find("tiny")! with { TieWordEmbeddings = true }, setup, Precision.Parse("mixed"), true,
            AttentionKind.Math, RuntimeProfile.TorchSharpKernels, RefreshStep: false);
        var request = Tiny with { Step = step, DataPath = "/tmp/x.txt", LearningRate = 0.01 };
        var json = ProfileJson.Serialize(request);
        Assert.Contains("\"seq_len\":16", json);
        Assert.Contains("\"update_proj_gap\":200", json);
        Assert.Contains("\"vocab_size\":512", json);
        Assert.Contains("\"family\":\"llama\"", json);
        Assert.Contains("\"spec\":\"galore_adafactor_layerwise\"", json);
        Assert.Contains("\"beta1\":\"0.9\"", json);
        var back = ProfileJson.ParseRequest(json);
        Assert.Equal(request.Model, back.Model);
        Assert.Equal(request.Step, back.Step);          // the whole step, every knob, as the planner evaluates it
        Assert.Equal(request, back);

        var result = new ProfileResult { Request = request, Losses = [float.NaN, 1.5f], MeasuredPeakBytes = 123 };
        var parsed = ProfileJson.FindResult("noise\n" + ProfileJson.Serialize(result) + "\nmore noise\n")!;
        Assert.True(float.IsNaN(parsed.Losses[0]));
        Assert.Equal(123, parsed.MeasuredPeakBytes);
        Assert.Null(ProfileJson.FindResult("{\"format\":\"something-else\"}"));
    }
}

[Collection("torch")]
public sealed class ProfileWorkerCudaTests
{
    [Fact]
    public void A_cuda_request_on_a_machine_without_cuda_is_an_error_row()
    {
        if (TorchSharp.torch.cuda.is_available()) return;   // only meaningful without a GPU
        var request = TestRequests.For() with { Device = "cuda:0", BaselineWarmupSteps = 0 };
        var result = ProfileWorker.Run(request, TestOptimizers.Create);
        Assert.False(result.Ok);
        Assert.Contains("has no CUDA", result.Error);
        Assert.Contains("GALORE_LIBTORCH", result.Error);
    }
}
