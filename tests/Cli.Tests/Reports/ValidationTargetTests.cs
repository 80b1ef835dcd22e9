using GaLore.Cli.Reports.Validation;

namespace GaLore.Cli.Tests.Reports;

/// <summary>The validation target the issues set: every row within ±5 %, the median within ±1 %, quantized-state rows within ±2 %.</summary>
public class ValidationTargetTests
{
    static ValidationRecord Row(string optimizer, double error) =>
        new($"m|{optimizer}|{error}", "m", optimizer, "bf16", 1, 256, false, "sdpa", 64, 2, "std", "cpu",
            (long)(200e6 * (1 + error / 100)), 200_000_000, error, 0, 0, 0, 0, 0, "optimizer step", 0, 1, 1, 1, "");

    [Fact]
    public void A_median_of_one_and_a_half_percent_misses_the_target()
    {
        var s = ValidationSummary.Of([Row("adamw", 1.5), Row("adamw", 1.5), Row("adafactor", 0.2)]);
        Assert.Equal(3, s.Within5);
        Assert.False(s.MeetsTarget);
    }

    [Fact]
    public void An_8_bit_row_beyond_two_percent_misses_the_target_even_when_the_rest_is_met()
    {
        var s = ValidationSummary.Of([Row("adamw", 0.5), Row("adamw_8bit", 2.5), Row("galore_adamw_8bit_layerwise", -1.0), Row("adamw", 0.1)]);
        Assert.Equal((2, 1), (s.Quantized, s.QuantizedWithin2));
        Assert.False(s.MeetsTarget);
        Assert.True(ValidationSummary.Of([Row("adamw", 0.5), Row("adamw_8bit", 1.9), Row("adamw", -0.3)]).MeetsTarget);
    }

    [Theory]
    [InlineData("adamw_8bit", true)]
    [InlineData("paged_lion_8bit", true)]
    [InlineData("adamw_torch_4bit", true)]        // torchao's 4-bit codes, two per byte
    [InlineData("galore_adamw_8bit_layerwise", true)]
    [InlineData("adafactor", false)]
    [InlineData("adamw", false)]
    [InlineData("not_an_optimizer", false)]
    public void Quantized_states_are_read_from_the_optimizer_model_not_the_name(string optimizer, bool expected) =>
        Assert.Equal(expected, ValidationSummary.KeepsQuantizedStates(optimizer, "bf16"));
}
