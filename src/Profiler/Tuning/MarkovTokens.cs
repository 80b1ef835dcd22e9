using GaLore.Kernels.Native;
using GaLore.Profiler.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tuning;

/// <summary>
/// Token batches drawn from a <see cref="MarkovChain"/> at a lag: token t follows the chain from token t − lag, and the
/// first <c>lag</c> tokens of a sequence are drawn uniformly. Lag 1 is plain bigram text, which a model can learn through
/// its embedding and output matrices alone; lag 2 interleaves two chains, so predicting a token needs the one two
/// positions back — attention must learn to look there, which makes the projected (attention and MLP) weights matter.
/// Every batch is fresh, so the training loss on it is also an unbiased held-out loss. Seeded.
/// </summary>
public sealed class MarkovTokens : ITokenSource
{
    readonly MarkovChain chain;
    readonly Random random;
    readonly int lag;

    /// <summary>A source over <paramref name="chain"/>; the same seed gives the same batches.</summary>
    public MarkovTokens(MarkovChain chain, int seed, int lag = 1)
    {
        TorchNativeLoader.EnsureLoaded();
        this.chain = chain ?? throw new ArgumentNullException(nameof(chain));
        if (lag < 1) throw new ArgumentOutOfRangeException(nameof(lag), lag, "lag must be ≥ 1");
        random = new Random(seed);
        this.lag = lag;
    }

    /// <summary>How many positions back the chain's previous token sits.</summary>
    public int Lag => lag;

    /// <inheritdoc/>
    public Tensor Next(int batch, int seq)
    {
        var ids = new long[(long)batch * seq];
        for (int b = 0; b < batch; b++)
        {
            long row = (long)b * seq;
            for (int t = 0; t < seq; t++)
                ids[row + t] = t < lag ? random.Next(chain.Vocab) : chain.Next((int)ids[row + t - lag], random.NextDouble());
        }
        return torch.tensor(ids, [batch, seq], ScalarType.Int64);   // (B, T)
    }
}
