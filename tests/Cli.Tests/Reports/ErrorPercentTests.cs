using GaLore.Cli.Reports.Validation;

namespace GaLore.Cli.Tests.Reports;

/// <summary>The signed error percentages of validation output: a value that rounds to zero prints as 0.00, never "-+0.00"
/// (.NET formats a negative number that rounds to zero with the zero section, after the minus sign, when there is none).</summary>
public class ErrorPercentTests
{
    [Theory]
    [InlineData(1.5, "+1.50 %")]
    [InlineData(-1.5, "-1.50 %")]
    [InlineData(0.0, "0.00 %")]
    [InlineData(-0.004, "0.00 %")]
    [InlineData(0.004, "0.00 %")]
    public void Signed_percentages_never_print_a_double_sign(double value, string expected) =>
        Assert.Equal(expected, ValidationSummary.Pct(value));
}
