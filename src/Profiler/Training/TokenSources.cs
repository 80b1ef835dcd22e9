using GaLore.Kernels.Native;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Training;

/// <summary>Supplies token batches (B, T) of int64 ids on the CPU.</summary>
public interface ITokenSource
{
    /// <summary>The next batch; a new tensor in the caller's dispose scope.</summary>
    Tensor Next(int batch, int seq);
}

/// <summary>Seeded uniform ids in [0, vocab) — the default: memory does not depend on token values.</summary>
public sealed class SyntheticTokens : ITokenSource, IDisposable
{
    readonly Generator generator;
    readonly int vocab;

    public SyntheticTokens(int vocab, long seed)
    {
        TorchNativeLoader.EnsureLoaded();
        if (vocab < 1) throw new ArgumentOutOfRangeException(nameof(vocab));
        this.vocab = vocab;
        generator = new Generator((ulong)seed);
    }

    public Tensor Next(int batch, int seq) => torch.randint(0, vocab, [batch, seq], ScalarType.Int64, generator: generator);

    public void Dispose() => generator.Dispose();
}

/// <summary>
/// Ids from a local file: each byte is one token, id = byte mod vocab (a byte-level "tokenizer" — enough to
/// see the loss fall on real text; memory is the same as with synthetic ids). Batches are consecutive
/// windows of the file, wrapping around at its end.
/// </summary>
public sealed class TextFileTokens : ITokenSource
{
    readonly byte[] bytes;
    readonly int vocab;
    long position;

    public TextFileTokens(string path, int vocab)
    {
        TorchNativeLoader.EnsureLoaded();
        if (vocab < 1) throw new ArgumentOutOfRangeException(nameof(vocab));
        bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0) throw new ArgumentException($"token file '{path}' is empty", nameof(path));
        this.vocab = vocab;
    }

    public Tensor Next(int batch, int seq)
    {
        var ids = new long[(long)batch * seq];
        for (long k = 0; k < ids.LongLength; k++)
        {
            ids[k] = bytes[position] % vocab;
            position = (position + 1) % bytes.Length;
        }
        return torch.tensor(ids, [batch, seq], ScalarType.Int64);
    }
}
