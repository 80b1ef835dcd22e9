using CsvHelper;

namespace GaLore.Cli.Tests.Reports;

/// <summary>Temporary output folders and file checks for report tests.</summary>
public sealed class ReportFolder : IDisposable
{
    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "galore-report-" + Guid.NewGuid().ToString("N"));

    public string this[string relative] => System.IO.Path.Combine(Path, relative);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, true);
    }

    /// <summary>Header and data records of a CSV file.</summary>
    public static (string[] Header, List<string[]> Rows) ReadCsv(string path)
    {
        using var csv = CsvReader.FromFile(path);
        var rows = new List<string[]>();
        while (csv.Read())
            rows.Add(Enumerable.Range(0, csv.FieldCount).Select(i => csv.GetString(i)).ToArray());
        return (csv.Headers.ToArray(), rows);
    }

    /// <summary>Whether a file starts with the PNG signature.</summary>
    public static bool IsPng(string path)
    {
        byte[] signature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
        using var f = File.OpenRead(path);
        var head = new byte[8];
        return f.Read(head, 0, 8) == 8 && head.SequenceEqual(signature);
    }

    /// <summary>Whether bytes start with the PNG signature.</summary>
    public static bool IsPngBytes(byte[] bytes) =>
        bytes.Length > 8 && bytes.AsSpan(0, 8).SequenceEqual(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });

    /// <summary>Whether a file is well-formed XML whose root element is &lt;svg&gt;.</summary>
    public static bool IsSvg(string path)
    {
        try { return System.Xml.Linq.XDocument.Load(path).Root?.Name.LocalName == "svg"; }
        catch (System.Xml.XmlException) { return false; }
    }

    /// <summary>The repository root (the folder holding scripts/check-report-html.sh), found from the test's folder.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "scripts", "check-report-html.sh"))) return dir.FullName;
        throw new InvalidOperationException("repository root not found above " + AppContext.BaseDirectory);
    }
}
