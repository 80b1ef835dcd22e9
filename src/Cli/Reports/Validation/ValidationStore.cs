using CsvHelper;
using GaLore.Planner;

namespace GaLore.Cli.Reports.Validation;

/// <summary>
/// <c>validation.csv</c> as the single record of a validation run: rewritten whole (to a temporary file, then renamed:
/// <see cref="AtomicFile"/>) after every configuration, so a killed run leaves a complete file and <c>--resume</c> skips the
/// keys it holds.
/// </summary>
public sealed class ValidationStore
{
    readonly string path;
    readonly List<ValidationRecord> rows = [];

    ValidationStore(string path) => this.path = path;

    /// <summary>The rows so far, in run order.</summary>
    public IReadOnlyList<ValidationRecord> Rows => rows;

    /// <summary>Opens the store in <paramref name="dir"/>: with <paramref name="resume"/> the existing rows are kept, otherwise
    /// an existing file is an error (so results are never lost by accident).</summary>
    public static ValidationStore Open(string dir, bool resume)
    {
        Directory.CreateDirectory(dir);
        var store = new ValidationStore(Path.Combine(dir, "validation.csv"));
        if (!File.Exists(store.path)) return store;
        if (!resume)
            throw new PlannerInputException($"{store.path} exists: pass --resume to continue it, or choose another --out");
        store.rows.AddRange(Read(store.path));
        return store;
    }

    /// <summary>Reads a validation CSV.</summary>
    public static IReadOnlyList<ValidationRecord> Read(string file)
    {
        var list = new List<ValidationRecord>();
        try
        {
            using var csv = CsvReader.FromFile(file, new CsvReaderOptions());
            while (csv.Read())
                list.Add(ValidationRecord.Parse(name => csv.TryGetFieldIndex(name, out int i) ? csv.GetString(i) : ""));
        }
        catch (Exception e) when (e is FormatException or ArgumentException or KeyNotFoundException or IndexOutOfRangeException or InvalidOperationException)
        {
            throw new PlannerInputException($"{file} is not a validation CSV this version can read: {e.Message}", e);
        }
        return list;
    }

    /// <summary>Whether a configuration already has a row.</summary>
    public bool Has(string key) => rows.Exists(r => r.Key == key);

    /// <summary>Replaces every row (same keys, same order) and saves the file once.</summary>
    public void ReplaceAll(IReadOnlyList<ValidationRecord> replacement)
    {
        if (replacement.Count != rows.Count || replacement.Where((r, i) => r.Key != rows[i].Key).Any())
            throw new ArgumentException("a replacement must keep every row's key, in order", nameof(replacement));
        rows.Clear();
        rows.AddRange(replacement);
        CsvOut.Write(path, ValidationRecord.Header, rows.Select(r => r.Cells));
    }

    /// <summary>Adds a row and saves the file.</summary>
    public void Add(ValidationRecord row)
    {
        rows.RemoveAll(r => r.Key == row.Key);
        rows.Add(row);
        CsvOut.Write(path, ValidationRecord.Header, rows.Select(r => r.Cells));
    }
}
