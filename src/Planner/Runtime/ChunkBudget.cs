namespace GaLore.Planner.Runtime;

/// <summary>
/// The chunk this project's element-wise kernels work through at a time (Lion, AdEMAMix and the torchao-style 4-bit AdamW in
/// <c>src/Kernels/Optimizers/Rules</c>): their float32 working copies exist for one chunk of a flat parameter only, so their
/// transients are a constant per parameter instead of growing with it — as the fused CUDA kernels of bitsandbytes and torchao
/// keep values in registers. Shared with the planner's <c>torchsharp</c> figures so the two cannot drift apart.
/// </summary>
public static class ChunkBudget
{
    /// <summary>Elements per chunk (2²⁰: a multiple of every block size used, 256 and 128).</summary>
    public const long Elements = 1 << 20;

    /// <summary>The chunk length used for a tensor of <paramref name="n"/> elements.</summary>
    public static long Of(long n) => Math.Min(n, Elements);
}

/// <summary>
/// Bytes alive beyond the states while this project's torchao-style low-bit AdamW (<c>LowBitAdamWRule</c>) updates one
/// parameter, derived op by op from its chunk loop (L = <see cref="ChunkBudget.Of"/>(n) elements; all figures bytes):
/// <list type="number">
/// <item>the gradient chunk in float32 (4L, none when the gradient is float32: <c>to()</c> returns it);</item>
/// <item>each moment loaded as float32 (4L; a view of a float32 unquantized state); loading 4-bit codes holds the int32
/// indices and the looked-up values at once (8L);</item>
/// <item>the update: both moments, <c>denom</c> (4L) and, for a 16-bit weight, the update cast to it (L·wb);</item>
/// <item>writing a quantized moment back: the int32 nearest-code indices and their uint8 copy (5L) beside both moments.</item>
/// </list>
/// The gradient chunk is released before <c>denom</c> is made; the peak is the largest of these phases.
/// </summary>
public static class LowBitAdamWBudget
{
    /// <summary>The chunk length for a tensor of <paramref name="n"/> elements: whole blocks, at most
    /// <see cref="ChunkBudget.Elements"/>.</summary>
    public static long ChunkOf(long n, long block) => Math.Min(n, Math.Max(block, ChunkBudget.Elements / block * block));

    /// <summary>The peak transient for a tensor of <paramref name="n"/> elements.</summary>
    /// <param name="n">Elements.</param>
    /// <param name="block">Elements per scale.</param>
    /// <param name="quantized">Whether its moments are 4-bit (else float32 or the weight's dtype, unquantized).</param>
    /// <param name="gradBytes">Bytes per gradient element.</param>
    /// <param name="weightBytes">Bytes per weight element (also the unquantized moments').</param>
    public static long Bytes(long n, long block, bool quantized, int gradBytes, int weightBytes)
    {
        long l = ChunkOf(n, block);
        long gradient = gradBytes == 4 ? 0 : 4 * l;
        long moment = quantized || weightBytes != 4 ? 4 * l : 0;
        long load = quantized ? 8 * l : moment;
        long cast = weightBytes == 4 ? 0 : weightBytes * l;
        long afterLoads = gradient + moment + load;
        long update = 2 * moment + 4 * l + cast;
        long store = quantized ? 2 * moment + 5 * l : 0;
        return Math.Max(Math.Max(gradient + load, afterLoads), Math.Max(update, store));
    }
}
