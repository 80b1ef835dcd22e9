using GaLore.Cli.Output;

namespace GaLore.Cli.Tests.Output;

public class TextTableTests
{
    static string[] Lines(TextTable t, string indent = "")
    {
        var w = new StringWriter();
        t.WriteTo(w, indent);
        return w.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
    }

    [Fact]
    public void Numbers_align_right_text_aligns_left_and_the_last_text_column_is_not_padded()
    {
        var lines = Lines(new TextTable("component", "GiB", "note").Add("weights", "12.55", "bf16").Add("optimizer states", "3.1", ""), "  ");
        Assert.Equal(
        [
            "  component           GiB  note",
            "  ----------------  -----  ----",
            "  weights           12.55  bf16",
            "  optimizer states    3.1  ",
        ], lines);
    }

    [Fact]
    public void Cells_wider_than_the_padding_run_are_padded_and_ruled_to_their_full_width()
    {
        string wide = new('x', 75);
        var lines = Lines(new TextTable("a", "n", "z").Add(wide, "1", "end").Add("b", "1234567890123456789012345678901234567890", "end"));
        Assert.Equal(75 + 2 + 40 + 2 + 3, lines[2].Length);
        Assert.Equal(new string('-', 75) + "  " + new string('-', 40) + "  ---", lines[1]);
        Assert.Equal("b" + new string(' ', 74) + "  1234567890123456789012345678901234567890  end", lines[3]);
        Assert.Equal(wide + "  " + new string(' ', 39) + "1  end", lines[2]);
    }
}
