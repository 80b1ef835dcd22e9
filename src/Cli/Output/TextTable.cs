namespace GaLore.Cli.Output;

/// <summary>A plain-text table with aligned columns (numbers right-aligned).</summary>
public sealed class TextTable(params string[] headers)
{
    readonly List<string[]> rows = [];

    /// <summary>Adds a row; it must have one cell per header.</summary>
    public TextTable Add(params string[] cells)
    {
        if (cells.Length != headers.Length) throw new ArgumentException("row width differs from the header");
        rows.Add(cells);
        return this;
    }

    /// <summary>Writes the table.</summary>
    public void WriteTo(TextWriter w, string indent = "")
    {
        int n = headers.Length;
        var widths = new int[n];
        var numeric = new bool[n];
        for (int i = 0; i < n; i++)
        {
            widths[i] = headers[i].Length;
            bool any = false, all = true;
            foreach (var r in rows)
            {
                widths[i] = Math.Max(widths[i], r[i].Length);
                any |= r[i].Length > 0;
                all &= r[i].Length == 0 || IsNumeric(r[i]);
            }
            numeric[i] = any && all;
        }
        void Line(string[] cells)
        {
            w.Write(indent);
            for (int i = 0; i < cells.Length; i++)
            {
                if (i > 0) w.Write("  ");
                w.Write(numeric[i] ? cells[i].PadLeft(widths[i]) : i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i]));
            }
            w.WriteLine();
        }
        Line(headers);
        w.Write(indent);
        for (int i = 0; i < n; i++) w.Write((i > 0 ? "  " : "") + new string('-', widths[i]));
        w.WriteLine();
        foreach (var r in rows) Line(r);
    }

    static bool IsNumeric(string s) => s.Length > 0 && (char.IsDigit(s[0]) || s[0] == '-' && s.Length > 1 && char.IsDigit(s[1]));
}
