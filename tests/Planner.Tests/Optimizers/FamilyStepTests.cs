using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests.Optimizers;

/// <summary>What the new families change in a step: transients, update timing, paging, notes and suggestions.</summary>
public class FamilyStepTests
{
    static readonly ModelConfig Tiny = ModelPresets.Find("tiny")!;
    const long N = 158_016;

    static StepSpec Spec(string optimizer, PrecisionMode mode = PrecisionMode.Fp32, string? args = null, RuntimeProfile? runtime = null,
        ModelConfig? model = null) =>
        new(model ?? Tiny, OptimizerSetup.FromOptimArgs(optimizer, args), new Precision(mode), Runtime: runtime ?? RuntimeProfile.PyTorchReference);

    static StepPeak Peak(StepSpec s) => StepCompiler.Compile(s).Evaluate(8, 8);

    [Fact]
    public void Fused_adamw_has_no_foreach_temporaries()
    {
        // fp32, 64 tokens: the optimizer step peaks with weights, moments and gradients (4·4·N); foreach AdamW adds one
        // sqrt(exp_avg_sq) list for every parameter at once (4·N), the fused kernel nothing.
        Assert.Equal(4 * 4 * N + 4 * N, Peak(Spec("adamw")).PeakBytes);
        Assert.Equal(4 * 4 * N + 4 * N, Peak(Spec("adamw_torch")).PeakBytes);
        var fused = StepCompiler.Compile(Spec("adamw_torch_fused"), compact: false).Trace(8, 8).ToList();
        Assert.Equal(4 * 4 * N, fused.Where(x => x.Phase == "optimizer step").Max(x => x.TotalBytes));
        Assert.True(Peak(Spec("adamw_torch_fused")).PeakBytes < 4 * 4 * N + 4 * N);
    }

    [Theory]
    [InlineData("adagrad", 2)]            // std and numerator lists
    [InlineData("rmsprop", 1)]            // avg list
    [InlineData("schedule_free_adamw", 1)] // denom list
    public void Foreach_torch_optimizers_hold_their_temporaries_for_every_parameter_at_once(string name, int lists)
    {
        long states = StepCompiler.Compile(Spec(name)).Persistent.OptimizerStates;
        var peak = Peak(Spec(name));
        Assert.Equal("optimizer step", peak.Phase);
        Assert.Equal(2 * 4 * N + states + lists * 4 * N, peak.PeakBytes);
        // foreach=False (single-tensor path): one parameter's temporaries at a time — Adagrad's std only, for the largest tensor.
        if (name == "adagrad") Assert.Equal(2 * 4 * N + states + 4 * 32_768, Peak(Spec(name, args: "foreach=False")).PeakBytes);
    }

    [Fact]
    public void Lomo_keeps_no_gradient_buffer_and_updates_inside_backward()
    {
        var lomo = StepCompiler.Compile(Spec("lomo", PrecisionMode.Bf16, model: ModelPresets.Find("llama-60m"))).Evaluate(1024, 256);
        long largest = ParameterTable.Build(ModelPresets.Find("llama-60m")!).Max(t => t.Elements) * 2;
        Assert.True(lomo.AtPeak.Gradients <= largest);
        Assert.Equal(0, lomo.AtPeak.OptimizerStates);
        var trace = StepCompiler.Compile(Spec("lomo", PrecisionMode.Bf16), compact: false).Trace(8, 8).ToList();
        Assert.DoesNotContain(trace, x => x.Phase.StartsWith("optimizer step"));
        Assert.Contains(trace, x => x.Label.StartsWith("layerwise update of"));
        Assert.Contains(trace, x => x.Label.StartsWith("layerwise: grad of"));
    }

    [Fact]
    public void Lomo_update_transients_are_the_float32_copies_of_grad_and_weight_less_the_freed_16_bit_gradient()
    {
        var t = new ParameterTensor("w", "m.mlp.up_proj", TensorKind.MlpProjection, 0, 100, 10);
        var bf16 = new Precision(PrecisionMode.Bf16);
        long Update(string name, Precision p) => RuntimeProfile.PyTorchReference.UpdateTransientBytes(UpdateShape.For(t, false, OptimizerSetup.FromName(name), p));
        Assert.Equal(8 * 1000 - 2 * 1000, Update("lomo", bf16));
        Assert.Equal(0, Update("lomo", new Precision(PrecisionMode.Fp32)));
        Assert.Equal(12 * 1000 - 2 * 1000, Update("adalomo", bf16));
        Assert.Equal(8 * 1000, Update("adalomo", new Precision(PrecisionMode.Fp32)));
    }

    [Fact]
    public void Apollo_refresh_draws_a_gaussian_matrix_with_no_svd_workspace()
    {
        var t = new ParameterTensor("w", "m.mlp.up_proj", TensorKind.MlpProjection, 0, 4096, 1024);
        var bf16 = new Precision(PrecisionMode.Bf16);
        var apollo = UpdateShape.For(t, true, OptimizerSetup.FromName("apollo_adamw"), bf16);
        // 16-bit gradient copied to float32 (4·m·n) + randn and randn/√r (2 × 4 · r·n).
        Assert.Equal(4L * 4096 * 1024 + 2 * 4 * 128 * 1024, RuntimeProfile.PyTorchReference.RefreshTransientBytes(apollo, DeviceKind.Cuda));
        // This project's kernel: the float32 draw and the bf16 buffer it is copied into.
        Assert.Equal(4L * 128 * 1024 + 2 * 128 * 1024, RuntimeProfile.TorchSharpKernels.RefreshTransientBytes(apollo, DeviceKind.Cuda));
        var svd = UpdateShape.For(t, true, OptimizerSetup.FromOptimArgs("apollo_adamw", "proj=svd"), bf16);
        Assert.Equal(RuntimeProfile.PyTorchReference.RefreshTransientBytes(UpdateShape.For(t, true, OptimizerSetup.FromName("galore_adamw"), bf16), DeviceKind.Cuda),
            RuntimeProfile.PyTorchReference.RefreshTransientBytes(svd, DeviceKind.Cuda));
    }

    [Fact]
    public void Apollo_step_holds_two_full_size_scaled_gradients_on_pytorch_and_none_in_this_projects_kernel()
    {
        var t = new ParameterTensor("w", "m.mlp.up_proj", TensorKind.MlpProjection, 0, 4096, 1024);
        var bf16 = new Precision(PrecisionMode.Bf16);
        var channel = UpdateShape.For(t, true, OptimizerSetup.FromName("apollo_adamw"), bf16);
        long r = 4096 * 128;
        Assert.Equal(2 * r + 2 * 2 * r + 2 * 4096 + 2 * 2L * 4096 * 1024, RuntimeProfile.PyTorchReference.UpdateTransientBytes(channel));
        Assert.Equal(2 * r + 2 * r + 3 * 2 * 4096, RuntimeProfile.TorchSharpKernels.UpdateTransientBytes(channel));
        var tensor = UpdateShape.For(t, true, OptimizerSetup.FromOptimArgs("apollo_adamw", "scale_type=tensor"), bf16);
        Assert.Equal(2 * r + 2 * r, RuntimeProfile.TorchSharpKernels.UpdateTransientBytes(tensor));
    }

    [Fact]
    public void Paged_states_count_in_device_memory_but_not_in_the_allocators_peaks()
    {
        var q = new FitQuery(Spec("paged_adamw_8bit", PrecisionMode.Bf16, model: ModelPresets.Find("llama-1b")), 1, 256, GpuCatalog.Resolve("24GiB"));
        var plain = q with { Step = q.Step with { Optimizer = OptimizerSetup.FromName("adamw_8bit") } };
        var paged = FitCalculator.Estimate(q);
        var normal = FitCalculator.Estimate(plain);
        // The state buffers of every tensor with ≥ 1e5 elements are paged: the uint8 codes (2 B per element), and the
        // embedding's float32 states (8 B per element, HF's 32-bit override); absmax never.
        var table = ParameterTable.Build(ModelPresets.Find("llama-1b")!);
        long expected = table.Where(t => t.Elements >= 100_000).Sum(t => t.Kind == TensorKind.Embedding ? 8 * t.Elements : 2 * t.Elements);
        Assert.Equal(expected, paged.PagedBytes);
        Assert.Equal(0, normal.PagedBytes);
        Assert.True(paged.AllocatedBytes < normal.AllocatedBytes - paged.PagedBytes / 2);
        // The same bytes on the device; only the reserved view's 2 MiB rounding of the paged tensors is gone.
        Assert.InRange(paged.DeviceUsedBytes, normal.DeviceUsedBytes - (2L << 20) * table.Count, normal.DeviceUsedBytes);
        var torchsharp = q with { Step = q.Step with { Runtime = RuntimeProfile.TorchSharpKernels } };
        Assert.Throws<PlannerInputException>(() => FitCalculator.Estimate(torchsharp));   // paged names have no kernel here
    }

    [Fact]
    public void Fit_explains_paging_and_host_states_as_notes()
    {
        var over = FitCalculator.Evaluate(new FitQuery(Spec("paged_adamw_8bit", PrecisionMode.Bf16, model: ModelPresets.Find("llama-7b")), 1, 256,
            GpuCatalog.Resolve("rtx-4090")), withSuggestions: false);
        Assert.False(over.Fits);
        Assert.Contains(over.Warnings, w => w.Contains("evicts them to host RAM") && w.Contains("not a fit"));
        var fits = FitCalculator.Evaluate(new FitQuery(Spec("paged_adamw_8bit", PrecisionMode.Bf16, model: ModelPresets.Find("llama-350m")), 1, 256,
            GpuCatalog.Resolve("rtx-4090")), withSuggestions: false);
        Assert.True(fits.Fits);
        Assert.Contains(fits.Warnings, w => w.Contains("counted in the peak as device memory"));
        var grok = FitCalculator.Evaluate(new FitQuery(Spec("grokadamw", PrecisionMode.Bf16, model: ModelPresets.Find("llama-350m")), 1, 256,
            GpuCatalog.Resolve("rtx-4090")), withSuggestions: false);
        Assert.Equal(0, grok.Breakdown.OptimizerStates);
        Assert.Contains(grok.Warnings, w => w.StartsWith("optimizer states in host RAM"));
    }

    [Fact]
    public void Suggestions_come_in_two_groups_and_the_full_parameter_one_includes_the_new_families()
    {
        var q = new FitQuery(new StepSpec(ModelPresets.Find("llama-7b")!, OptimizerSetup.FromName("adamw_torch_fused"), new Precision(PrecisionMode.Bf16)),
            1, 256, GpuCatalog.Resolve("rtx-4090"));
        var r = FitCalculator.Evaluate(q);
        Assert.False(r.Fits);
        Assert.NotEmpty(r.Suggestions);
        var full = r.Suggestions.Where(s => s.Group == SuggestionGroup.FullParameter).ToList();
        Assert.NotEmpty(full);
        Assert.Contains(r.Suggestions, s => s.Group == SuggestionGroup.Adapter && s.Arguments.StartsWith("--peft lora", StringComparison.Ordinal));
        Assert.All(r.Suggestions, s => Assert.True(s.Estimate.DeviceUsedBytes <= q.UsableBytes));
        Assert.Contains(full, s => s.Arguments.Contains("lomo") || s.Arguments.Contains("apollo") || s.Arguments.Contains("adamw_torch_4bit"));
        // APOLLO-Mini is offered with its flags.
        var mini = Suggestions.For(q with { Gpu = GpuCatalog.Resolve("40GiB") });
        Assert.Contains(mini, s => s.Arguments == "--optim apollo_adamw --rank 1 --scale 128 --optim-args scale_type=tensor");
    }

    [Fact]
    public void Every_name_plans_on_the_pytorch_runtime_and_returns_to_its_persistent_memory()
    {
        foreach (var name in OptimizerCatalog.Names)
            foreach (var mode in new[] { PrecisionMode.Bf16, PrecisionMode.Fp32 })
            {
                var spec = Spec(name, mode);
                spec = spec with { Optimizer = spec.Optimizer with { GaLore = spec.Optimizer.GaLore with { Rank = 8 } } };
                var program = StepCompiler.Compile(spec, AllocationRounding.CudaAllocated);
                var trace = program.Trace(32, 8).ToList();
                Assert.Equal(trace[0].TotalBytes, trace[^1].TotalBytes);
                Assert.True(program.Evaluate(32, 8).PeakBytes >= program.Persistent.Total, name);
            }
    }

    [Fact]
    public void Torchsharp_planning_is_refused_for_families_without_a_kernel()
    {
        foreach (var spec in OptimizerCatalog.All)
        {
            var s = Spec(spec.Name, runtime: RuntimeProfile.TorchSharpKernels);
            s = s with { Optimizer = s.Optimizer with { GaLore = s.Optimizer.GaLore with { Rank = 8 } } };
            if (spec.Model.HasTorchSharpKernel) Assert.True(StepCompiler.Compile(s).Evaluate(8, 8).PeakBytes > 0, spec.Name);
            else Assert.Contains("no TorchSharp kernel", Assert.Throws<PlannerInputException>(() => StepCompiler.Compile(s)).Message);
        }
    }
}
