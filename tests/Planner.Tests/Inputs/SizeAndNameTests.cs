using GaLore.Planner;
using GaLore.Planner.Devices;
using GaLore.Planner.Inputs;

namespace GaLore.Planner.Tests.Inputs;

/// <summary>Sizes take units everywhere and the same way; GPU names and sizes are bounded; typos get a suggestion.</summary>
public class SizeAndNameTests
{
    [Theory]
    [InlineData("2GB", 2_000_000_000L)]
    [InlineData("2GiB", 2L << 30)]
    [InlineData("2", 2L << 30)]                 // a bare number is GiB, for every option
    [InlineData("450MiB", 450L << 20)]
    [InlineData("450 MB", 450_000_000L)]
    [InlineData("0.5g", 1L << 29)]
    [InlineData("1TB", 1_000_000_000_000L)]
    [InlineData("1024KiB", 1L << 20)]
    [InlineData("4096B", 4096L)]
    [InlineData("0", 0L)]
    [InlineData("4TiB", 1L << 42)]
    [InlineData("1e3MiB", 1000L << 20)]
    public void Sizes_read_with_their_units(string text, long bytes) => Assert.Equal(bytes, ByteSize.Parse(text, "--reserve"));

    [Theory]
    [InlineData("-1", "non-negative")]
    [InlineData("NaN", "not a size")]
    [InlineData("inf", "not a size")]
    [InlineData("1e300", "larger than any GPU")]
    [InlineData("5TiB", "larger than any GPU")]
    [InlineData("99999999999GiB", "larger than any GPU")]
    [InlineData("24XB", "unknown size unit 'XB'")]
    [InlineData("GiB", "not a size")]
    [InlineData("", "not a size")]
    [InlineData(".", "not a size")]
    public void Bad_sizes_name_the_option(string text, string fragment)
    {
        var e = Assert.Throws<PlannerInputException>(() => ByteSize.Parse(text, "--reserve"));
        Assert.StartsWith("--reserve: ", e.Message);
        Assert.Contains(fragment, e.Message);
    }

    [Theory]
    [InlineData("99999999999GiB", "larger than any GPU")]   // before: silently capped
    [InlineData("0.0001", "below 256 MiB")]                 // before: accepted as a 0 GiB card
    [InlineData("h20O", "did you mean h200?")]
    [InlineData("rtx-4909", "did you mean rtx-4090?")]
    public void Gpus_out_of_bounds_or_mistyped_are_errors(string text, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<PlannerInputException>(() => GpuCatalog.Resolve(text)).Message);

    [Fact]
    public void A_card_name_that_is_a_number_is_the_card_not_gibibytes()
    {
        Assert.Equal("rtx-4090", GpuCatalog.Resolve("4090").Name);   // before: a 4,090 GiB device
        Assert.Equal(40L << 30, GpuCatalog.Resolve("40").CapacityBytes);
    }

    [Theory]
    [InlineData("rtx-a6000", 49140, 8.6)]
    [InlineData("l40s", 46068, 8.9)]
    [InlineData("v100-16gb", 16384, 7.0)]
    [InlineData("v100-32gb", 32768, 7.0)]
    [InlineData("rtx-4080", 16376, 8.9)]
    [InlineData("rtx-4070-ti-super", 16376, 8.9)]
    [InlineData("rtx-4060-ti-16gb", 16380, 8.9)]
    [InlineData("b200", 183359, 10.0)]
    public void The_catalogue_has_the_new_cards_with_nvidia_smi_totals(string name, int mib, double cc)
    {
        var g = GpuCatalog.Resolve(name);
        Assert.Equal(mib, g.TotalMiB);
        Assert.Equal(cc, g.ComputeCapability);
        Assert.Equal(cc >= 8.0, g.SupportsBf16);   // V100: no bf16
    }

    [Theory]
    [InlineData("fti", new[] { "fit", "models" }, "fit")]
    [InlineData("--batc", new[] { "--batch", "--seq" }, "--batch")]
    [InlineData("llama-7", new[] { "llama-7b", "llama-1b" }, "llama-7b")]
    [InlineData("zzz", new[] { "fit", "models" }, null)]
    public void Typos_get_the_closest_name(string typed, string[] names, string? expected) => Assert.Equal(expected, DidYouMean.Closest(typed, names));
}
