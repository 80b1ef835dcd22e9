using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace GaLore.Kernels.Tests.Kernels;

/// <summary>Small seeded models written with raw tensors, so a test can route every weight through a tap.</summary>
internal static class TinyModels
{
    /// <summary>A teacher-student regression: y = W2·relu(W1·x) fitted to a random teacher of the same shape, plus label noise.</summary>
    internal sealed class Mlp
    {
        public Parameter W1 { get; }
        public Parameter W2 { get; }
        public Parameter Gain { get; }
        readonly Tensor x, y;

        public Mlp(long input, long hidden, long output, long batch, long seed, double noiseLevel = 0)
        {
            W1 = New(seed, hidden, input);
            W2 = New(seed + 1, output, hidden);
            Gain = new Parameter(ones(output), requires_grad: true);
            using var g = new TorchSharp.torch.Generator(unchecked((ulong)(seed + 2)));
            x = randn([batch, input], generator: g).DetachFromDisposeScope();
            using var t1 = randn([hidden, input], generator: g).div_(Math.Sqrt(input));
            using var t2 = randn([output, hidden], generator: g).div_(Math.Sqrt(hidden));
            using var h = x.mm(t1.t()).relu_();
            using var noise = randn([batch, output], generator: g).mul_(noiseLevel);
            y = h.mm(t2.t()).add_(noise).DetachFromDisposeScope();
        }

        public IReadOnlyList<Parameter> Parameters => [W1, W2, Gain];

        /// <summary>Mean squared error; <paramref name="tap"/> maps each parameter to the tensor forward uses.</summary>
        public Tensor Loss(Func<Parameter, Tensor> tap)
        {
            using var scope = NewDisposeScope();
            var w1 = tap(W1);
            var w2 = tap(W2);
            var gain = tap(Gain);
            var pred = x.mm(w1.t()).relu().mm(w2.t()).mul(gain);
            return nn.functional.mse_loss(pred, y).MoveToOuterDisposeScope();
        }

        static Parameter New(long seed, long rows, long cols)
        {
            using var g = new TorchSharp.torch.Generator(unchecked((ulong)seed));
            return new Parameter(randn([rows, cols], generator: g).div_(Math.Sqrt(cols)), requires_grad: true);
        }
    }

    /// <summary>
    /// x → relu(x·Eᵀ) → ·E (the same weight E twice: tied) → ·gain. E is 2-D (GaLore-projected), gain is a vector.
    /// </summary>
    internal sealed class Tied
    {
        public Parameter E { get; }
        public Parameter Gain { get; }
        readonly Tensor x, y;

        public Tied(long dim, long hidden, long batch, long seed)
        {
            using var g = new TorchSharp.torch.Generator(unchecked((ulong)seed));
            E = new Parameter(randn([hidden, dim], generator: g).div_(Math.Sqrt(dim)), requires_grad: true);
            Gain = new Parameter(ones(dim), requires_grad: true);
            x = randn([batch, dim], generator: g).DetachFromDisposeScope();
            y = randn([batch, dim], generator: g).DetachFromDisposeScope();
        }

        public Tied CloneWeights()
        {
            var copy = (Tied)MemberwiseClone();
            return new Tied(copy);
        }

        Tied(Tied other)
        {
            E = new Parameter(other.E.detach().clone(), requires_grad: true);
            Gain = new Parameter(other.Gain.detach().clone(), requires_grad: true);
            x = other.x;
            y = other.y;
        }

        public IReadOnlyList<Parameter> Parameters => [E, Gain];

        public Tensor Loss(Func<Parameter, Tensor> tap)
        {
            using var scope = NewDisposeScope();
            var e = tap(E);                                   // one tap, used twice
            var gain = tap(Gain);
            var pred = x.mm(e.t()).relu().mm(e).mul(gain);
            return nn.functional.mse_loss(pred, y).MoveToOuterDisposeScope();
        }
    }
}
