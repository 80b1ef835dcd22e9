namespace GaLore.Profiler.Tuning;

/// <summary>
/// A fixed random first-order Markov chain over a vocabulary: every token has <see cref="Successors"/> possible next
/// tokens, drawn at random, with random probabilities (normalised exponential draws, i.e. a flat Dirichlet). Text from it
/// has structure a small model can learn — the best achievable next-token loss is the chain's entropy rate, far below
/// the ln(V) of uniform ids — so short training runs show real loss curves. Seeded: the same seed gives the same chain.
/// </summary>
public sealed class MarkovChain
{
    readonly int[] next;          // (V, k): successor ids
    readonly double[] cumulative; // (V, k): cumulative probabilities, last = 1
    readonly double[] probability; // (V, k): P(next[t, j] | t)

    /// <summary>Builds the chain.</summary>
    /// <param name="vocab">Number of tokens V (≥ 2).</param>
    /// <param name="successors">Successors per token k (1 ≤ k ≤ V).</param>
    /// <param name="seed">Seed of the successor sets and probabilities.</param>
    public MarkovChain(int vocab, int successors = 4, int seed = 2024)
    {
        if (vocab < 2) throw new ArgumentOutOfRangeException(nameof(vocab), vocab, "vocabulary must have at least 2 tokens");
        if (successors < 1 || successors > vocab) throw new ArgumentOutOfRangeException(nameof(successors), successors, $"successors must be in 1..{vocab}");
        Vocab = vocab;
        Successors = successors;
        next = new int[vocab * successors];
        cumulative = new double[vocab * successors];
        probability = new double[vocab * successors];
        var random = new Random(seed);
        var weights = new double[successors];
        for (int t = 0; t < vocab; t++)
        {
            var chosen = new HashSet<int>();
            while (chosen.Count < successors) chosen.Add(random.Next(vocab));
            double total = 0;
            for (int j = 0; j < successors; j++) total += weights[j] = -Math.Log(1 - random.NextDouble());
            double run = 0;
            int i = 0;
            foreach (int c in chosen)
            {
                probability[t * successors + i] = weights[i] / total;
                run += weights[i] / total;
                next[t * successors + i] = c;
                cumulative[t * successors + i] = run;
                i++;
            }
            cumulative[t * successors + successors - 1] = 1;
        }
    }

    /// <summary>V.</summary>
    public int Vocab { get; }

    /// <summary>k.</summary>
    public int Successors { get; }

    /// <summary>Probability of <paramref name="to"/> following <paramref name="from"/>.</summary>
    public double Probability(int from, int to)
    {
        double previous = 0;
        for (int j = 0; j < Successors; j++)
        {
            double c = cumulative[from * Successors + j];
            if (next[from * Successors + j] == to) return c - previous;
            previous = c;
        }
        return 0;
    }

    /// <summary>The token after <paramref name="from"/> for a uniform draw <paramref name="u"/> in [0, 1).</summary>
    public int Next(int from, double u)
    {
        int baseIndex = from * Successors;
        for (int j = 0; j < Successors - 1; j++)
            if (u < cumulative[baseIndex + j]) return next[baseIndex + j];
        return next[baseIndex + Successors - 1];
    }

    /// <summary>
    /// Entropy rate in nats, H = Σᵢ πᵢ · H(P(·|i)) with π the stationary distribution (found by iterating the lazy chain
    /// π ← ½π + ½πP from uniform, which converges for any chain): the loss a perfect model reaches on long sequences.
    /// </summary>
    public double EntropyRate(int iterations = 1000)
    {
        var pi = Enumerable.Repeat(1.0 / Vocab, Vocab).ToArray();
        var step = new double[Vocab];
        for (int it = 0; it < iterations; it++)
        {
            Array.Clear(step);
            for (int t = 0; t < Vocab; t++)
                for (int j = 0; j < Successors; j++)
                    step[next[t * Successors + j]] += pi[t] * probability[t * Successors + j];
            for (int t = 0; t < Vocab; t++) pi[t] = 0.5 * pi[t] + 0.5 * step[t];
        }
        double h = 0;
        for (int t = 0; t < Vocab; t++)
            for (int j = 0; j < Successors; j++)
            {
                double p = probability[t * Successors + j];
                if (p > 0) h -= pi[t] * p * Math.Log(p);
            }
        return h;
    }
}
