using System.Collections;
using System.Numerics;
using GaLore.Planner;

namespace GaLore.Cli.Snapshots;

/// <summary>Typed access to what Razorvine.Pickle unpickles (dict → <see cref="Hashtable"/>, list → <see cref="ArrayList"/>,
/// tuple → object[], int → int, long or <see cref="BigInteger"/>); a value of the wrong shape is a
/// <see cref="PlannerInputException"/> naming it.</summary>
static class PickleGraph
{
    public static Hashtable Dict(object? value, string what) =>
        value as Hashtable ?? throw new PlannerInputException($"{what} is not a dictionary");

    public static IList List(object? value, string what) => value switch
    {
        ArrayList a => a,
        object[] t => t,
        _ => throw new PlannerInputException($"'{what}' is not a list"),
    };

    public static object? Optional(Hashtable d, string key) => d.ContainsKey(key) ? d[key] : null;

    public static object Required(Hashtable d, string key, string owner) =>
        Optional(d, key) ?? throw new PlannerInputException($"{owner} has no '{key}'");

    public static long Long(object value, string key) => value switch
    {
        int i => i,
        long l => l,
        BigInteger b when b >= long.MinValue && b <= long.MaxValue => (long)b,
        // Device addresses above 2^63 do not occur on x86-64 (47-bit user space); anything else is not a size or address.
        _ => throw new PlannerInputException($"'{key}' is not an integer ({value.GetType().Name})"),
    };

    public static long LongOr(Hashtable d, string key, long fallback) => Optional(d, key) is { } v ? Long(v, key) : fallback;
}
