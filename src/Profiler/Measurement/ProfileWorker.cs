using System.Diagnostics;
using GaLore.Kernels.Native;
using GaLore.Profiler.Measurement.Cuda;
using GaLore.Profiler.Model;
using GaLore.Profiler.Training;
using TorchSharp;

namespace GaLore.Profiler.Measurement;

/// <summary>Builds the optimizer for a model (the caller maps the step's optimizer (<see cref="ProfileRequest.Step"/>) to the Kernels
/// optimizers; for layerwise ones it also sets <see cref="CausalLm.ParameterTap"/> and calls
/// <see cref="CausalLm.FreezeForTap"/>). If the result is <see cref="IDisposable"/> the worker disposes it.</summary>
public delegate ITrainingOptimizer OptimizerFactory(CausalLm model, ProfileRequest request);

/// <summary>
/// The body of a profiling worker process: warm the runtime, take the baseline, build model and optimizer, run
/// the warm-up steps, measure the peak of the measured window, report. Meant to run in a child process of its
/// own (<see cref="ChildProcessRunner"/>), with <see cref="WorkerEnvironment.Defaults"/> in its environment; the
/// CLI's hidden <c>profile-worker</c> command calls <see cref="Main"/>.
/// </summary>
public static class ProfileWorker
{
    /// <summary>
    /// Reads one <see cref="ProfileRequest"/> (JSON) from <paramref name="input"/>, runs it and writes one
    /// <see cref="ProfileResult"/> JSON line to <paramref name="output"/>. Returns the process exit code: 0 when
    /// measured, 1 when the run failed (the line then carries the error), 2 when the request was unreadable.
    /// </summary>
    public static int Main(TextReader input, TextWriter output, OptimizerFactory factory, Func<ProfileRequest, IPeakMeter>? meters = null)
    {
        ProfileRequest request;
        try
        {
            request = ProfileJson.ParseRequest(input.ReadToEnd());
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or ArgumentException or NotSupportedException)
        {
            Console.Error.WriteLine($"profile-worker: unreadable request: {e.Message}");
            return 2;
        }
        var result = Run(request, factory, meters);
        output.WriteLine(ProfileJson.Serialize(result));
        output.Flush();
        return result.Ok ? 0 : 1;
    }

    /// <summary>Runs one profile in this process. Never throws for a failed run: the error is in the result.</summary>
    public static ProfileResult Run(ProfileRequest request, OptimizerFactory factory, Func<ProfileRequest, IPeakMeter>? meters = null)
    {
        var clock = Stopwatch.StartNew();
        try
        {
            var result = Measure(request, factory, meters ?? DefaultMeter);
            return result with { ElapsedSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3) };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return ProfileResult.Failure(request, $"{e.GetType().Name}: {e.Message}") with
            {
                ElapsedSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
                Environment = WorkerEnvironment.Current(),
                Runtime = TorchNativeLoader.Summary(),
            };
        }
    }

    /// <summary>CPU: <see cref="CpuPeakMeter"/>; CUDA: <see cref="CudaPeakMeter"/> on the request's device.</summary>
    public static IPeakMeter DefaultMeter(ProfileRequest request) =>
        request.IsCuda ? CudaPeakMeter.Open(request.Device, TimeSpan.FromMilliseconds(request.GpuPollMilliseconds)) : new CpuPeakMeter();

    static ProfileResult Measure(ProfileRequest request, OptimizerFactory factory, Func<ProfileRequest, IPeakMeter> meters)
    {
        TorchNativeLoader.EnsureLoaded();
        if (request.Threads is { } threads) torch.set_num_threads(threads);
        if (request.Batch < 1 || request.SeqLen < 2) throw new ArgumentException("batch must be ≥ 1 and seq_len ≥ 2");
        if (request.IsCuda && !torch.cuda.is_available())
            throw new GpuMeasurementException(
                $"device '{request.Device}' requested, but the libtorch TorchSharp loaded has no CUDA (a CPU-only build, or no driver): " +
                "set GALORE_LIBTORCH to the lib folder of a CUDA build of libtorch 2.10 (e.g. a PyTorch install's torch/lib)");
        var options = request.ToModelOptions();
        var plan = request.Plan();
        Action? sync = request.IsCuda ? () => torch.cuda.synchronize() : null;

        using var meter = meters(request);
        RuntimeWarmup.Run(options);
        switch (BaselinePreparation(request, meter.CanReleaseCache))
        {
            case BaselineRun.Replay: WarmUpWithModel(request, factory, options, sync, plan.TotalSteps, 0); break;
            case BaselineRun.Warmup: WarmUpWithModel(request, factory, options, sync, request.BaselineWarmupSteps, 1); break;
            case BaselineRun.None: break;
        }
        meter.ReleaseCache();
        using var cap = request.MemoryCapBytes is { } capBytes ? MemoryCap.Apply(request, capBytes, meter) : null;
        long baseline = meter.TakeBaseline();
        using var model = CausalLm.Create(request.Model, options);
        var optimizer = factory(model, request);
        try
        {
            using var tokens = Tokens(request);
            long peak = 0;
            var probes = new List<ForwardProbe>(request.ProbeForward ? 1 << 14 : 0);
            using var sampler = request.ProbeForward && !request.IsCuda ? new ResidentSampler() : null;
            void Start()
            {
                meter.StartWindow();
                if (sampler is not null) model.Probe = ForwardProbe(probes, sampler, baseline, model);
            }
            var steps = StepRunner.Run(model, optimizer, tokens, request.Batch, request.SeqLen, plan,
                beforeMeasured: Start, afterMeasured: () => peak = meter.EndWindow(), synchronize: sync);
            model.Probe = null;
            var (losses, times) = ProfileResult.Split(steps);
            return new ProfileResult
            {
                Request = request,
                Device = meter.Device,
                MeasuredPeakBytes = peak - baseline,
                BaselineBytes = baseline,
                PeakAbsoluteBytes = peak,
                ParameterCount = model.NamedParameters.Sum(p => p.Tensor.numel()),
                ParameterBytes = model.NamedParameters.Sum(p => p.Tensor.numel() * p.Tensor.element_size()),
                WarmupSteps = plan.WarmupSteps,
                MeasuredSteps = plan.MeasuredSteps,
                RefreshSteps = plan.RefreshStepsMeasured,
                Losses = losses,
                StepTimesMs = times,
                TorchThreads = torch.get_num_threads(),
                Environment = WorkerEnvironment.Current(),
                Runtime = TorchNativeLoader.Summary(),
                Details = meter.Details,
                ForwardProbes = probes,
            };
        }
        finally
        {
            (optimizer as IDisposable)?.Dispose();
        }
    }

    /// <summary>A probe that records resident memory above <paramref name="baseline"/> after each op of one forward, until
    /// the backward's first labelled call (a checkpointed block's recomputation) or the next forward begins. The samples
    /// allocate nothing managed (<see cref="ResidentSampler"/>; the list is sized up front).</summary>
    static Action<string> ForwardProbe(List<ForwardProbe> into, ResidentSampler sampler, long baseline, CausalLm model)
    {
        bool over = false;
        return label =>
        {
            over |= label.Contains("backward", StringComparison.Ordinal) || (label == "embedding" && into.Count > 0);
            if (over) { model.Probe = null; return; }
            into.Add(new ForwardProbe(label, sampler.ResidentBytes() - baseline));
        };
    }

    /// <summary>
    /// CPU, a mixture of experts in 16-bit: libtorch's oneDNN bfloat16 matmul compiles and keeps kernels (primitive cache,
    /// JIT code) per distinct matmul shape — measured here: 0.64 MiB kept per distinct row count of a 384 → 1536 linear's
    /// forward and input-gradient matmuls, against 0.02 MiB in float32 (MKL) — and the experts' matmuls have one row count
    /// per distinct number of tokens an expert
    /// receives, so the process's resident memory grows with every new routed-batch size it has seen (to the cache's
    /// capacity). That is the CPU runtime's code cache, not training memory: the whole run is replayed once with the same
    /// model, optimizer and tokens (deterministic, so the same shapes) before the baseline, which then holds those kernels.
    /// </summary>
    static bool ReplaysBeforeBaseline(ProfileRequest request) =>
        !request.IsCuda && request.Model.Moe is not null && request.Step.Precision.ActivationBytes == 2;

    /// <summary>What runs before the baseline: the replay of the whole run where <see cref="ReplaysBeforeBaseline"/> holds
    /// (it also warms up everything the shorter warm-up would); else <see cref="ProfileRequest.BaselineWarmupSteps"/> of a
    /// throw-away model on other tokens, unless the meter cannot empty the allocator's cache afterwards (a throw-away run
    /// would then leave its blocks in PyTorch's CUDA cache and inflate the baseline); else nothing.</summary>
    public static BaselineRun BaselinePreparation(ProfileRequest request, bool meterCanReleaseCache) =>
        ReplaysBeforeBaseline(request) ? BaselineRun.Replay
        : request.BaselineWarmupSteps > 0 && meterCanReleaseCache ? BaselineRun.Warmup
        : BaselineRun.None;

    /// <summary>See <see cref="BaselinePreparation"/>.</summary>
    public enum BaselineRun { None, Warmup, Replay }

    /// <summary>A throw-away copy of the run (same model, optimizer, batch) for <paramref name="steps"/> steps, then freed;
    /// its tokens come from the run's seed plus <paramref name="seedOffset"/> (0: the very tokens the run will see).</summary>
    static void WarmUpWithModel(ProfileRequest request, OptimizerFactory factory, ModelOptions options, Action? sync, int steps, int seedOffset)
    {
        using (var model = CausalLm.Create(request.Model, options))
        {
            var optimizer = factory(model, request);
            try
            {
                using var tokens = Tokens(request with { Seed = request.Seed + seedOffset });
                for (int s = 0; s < steps; s++)
                    StepRunner.TrainStep(model, optimizer, tokens, request.Batch, request.SeqLen);
                sync?.Invoke();
            }
            finally
            {
                (optimizer as IDisposable)?.Dispose();
            }
        }
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    sealed class DisposableTokens(ITokenSource source) : ITokenSource, IDisposable
    {
        public torch.Tensor Next(int batch, int seq) => source.Next(batch, seq);
        public void Dispose() => (source as IDisposable)?.Dispose();
    }

    static DisposableTokens Tokens(ProfileRequest r) =>
        new(r.DataPath is null ? new SyntheticTokens(r.Model.VocabSize, r.Seed) : new TextFileTokens(r.DataPath, r.Model.VocabSize));
}
