using GaLore.Planner.Adapters;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests.Adapters;

public class AdapterSuggestionTests
{
    static FitQuery Query(string optimizer, AdapterSetup? adapters = null, string gpu = "rtx-4090") =>
        new(new StepSpec(ModelPresets.Find("llama-7b")!, OptimizerSetup.FromName(optimizer), new Precision(PrecisionMode.Bf16),
            false, AttentionKind.Sdpa, RuntimeProfile.PyTorchReference) { Adapters = adapters }, 1, 256, GpuCatalog.Resolve(gpu));

    static List<SuggestedChange> Candidates(FitQuery q)
    {
        var list = new List<SuggestedChange>();
        AdapterSuggestions.AddCandidates(q, list);
        return list;
    }

    [Fact]
    public void Full_adamw_on_a_24gb_card_does_not_fit_but_lora_and_qlora_do()
    {
        var q = Query("adamw");
        Assert.False(FitCalculator.Estimate(q).DeviceUsedBytes <= q.UsableBytes);
        var changes = Candidates(q);
        Assert.Equal(2, changes.Count);
        Assert.All(changes, c => Assert.Equal(SuggestionGroup.Adapter, c.Group));
        foreach (var c in changes)
        {
            var changed = c.Apply(q)!;
            Assert.NotNull(changed.Step.Adapters);
            Assert.True(FitCalculator.Estimate(changed).DeviceUsedBytes <= changed.UsableBytes, c.Description);
        }
        Assert.Equal("--peft lora --base-quant nf4 --double-quant", changes[1].Arguments(changes[1].Apply(q)!));
    }

    [Theory]
    [InlineData("galore_adamw_8bit_layerwise", "adamw_8bit_layerwise")]
    [InlineData("galore_adafactor", "adafactor")]
    [InlineData("adamw_8bit", "adamw_8bit")]
    public void A_projecting_optimizer_becomes_its_plain_form(string from, string to)
    {
        var changed = Candidates(Query(from))[0].Apply(Query(from))!;
        Assert.Equal(to, changed.Step.Optimizer.Spec.Name);
        string flags = Candidates(Query(from))[0].Arguments(changed);
        Assert.Equal(from == to ? "--peft lora" : $"--peft lora --optim {to}", flags);
    }

    [Fact]
    public void Adapter_steps_get_the_quantized_base_and_lora_instead_of_dora()
    {
        var dora = Query("adamw", new AdapterSetup(PeftMethod.Dora, 64, Targets: PeftTargets.Parse("all-linear")), gpu: "rtx-3060");
        var changes = Candidates(dora);
        Assert.Equal(["NF4 base with double quantization (QLoRA)", "LoRA instead of DoRA (no full-size weight-norm terms)"],
            changes.Select(c => c.Description));
        Assert.Equal(BaseQuant.Nf4, changes[0].Apply(dora)!.Step.Adapters!.Quant);
        Assert.Equal(PeftMethod.Lora, changes[1].Apply(dora)!.Step.Adapters!.Method);
        Assert.Empty(Candidates(Query("adamw", new AdapterSetup(PeftMethod.Lora, Quant: BaseQuant.Nf4))));
    }
}
