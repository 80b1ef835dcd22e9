using GaLore.Profiler.Model.Parts;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model;

/// <summary>
/// Activation checkpointing of one decoder block (Chen et al. 2016, arXiv 1604.06174), as PyTorch's reentrant
/// <c>torch.utils.checkpoint</c> does it: forward runs the block without autograd and keeps only its input;
/// backward recomputes the block with autograd on and back-propagates the incoming gradient through the
/// recomputed graph with <c>torch.autograd.backward</c>. Parameter gradients therefore land where they would
/// without checkpointing: in <c>.grad</c>, or in the layerwise tap's backward.
/// </summary>
internal sealed class BlockCheckpointFunction : torch.autograd.SingleTensorFunction<BlockCheckpointFunction>
{
    const string StateKey = "checkpoint";

    /// <summary>What one call needs besides the input tensor (a non-tensor argument of <c>apply</c>).</summary>
    sealed record Call(BlockPart Block, ForwardContext Context);

    /// <summary>What backward needs: the block, the kept input, and the forward context with its own table handles.</summary>
    sealed class State(BlockPart block, SavedTensors input, ForwardContext context) : IDisposable
    {
        public BlockPart Block { get; } = block;
        public SavedTensors Input { get; } = input;
        public ForwardContext Context { get; } = context;

        public void Dispose()
        {
            Input.Dispose();
            Context.Release();
        }
    }

    public override string Name => "BlockCheckpoint";

    /// <summary>Runs <paramref name="block"/> on <paramref name="x"/> (B, T, h) under checkpointing.</summary>
    public static Tensor Run(BlockPart block, Tensor x, ForwardContext ctx)
    {
        // Own scope: the handles TorchSharp makes inside apply (the unwrapped output, the empty_like it caches
        // per output to materialize missing gradients) die here; only the wrapped output leaves.
        using var scope = torch.NewDisposeScope();
        return apply(x, new Call(block, ctx)).MoveToOuterDisposeScope();
    }

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var x = (Tensor)vars[0];
        var call = (Call)vars[1];
        var y = call.Block.Forward(x, call.Context);        // no_grad here: nothing inside is saved
        ctx.save_data(StateKey, new State(call.Block, new SavedTensors(x), call.Context.Retain()));
        return y;
    }

    /// <summary>
    /// Frees the recomputed output's memory while keeping its autograd node: backward needs only y's node and
    /// shape (its producer, a residual addition, saved nothing), so y is pointed at one element broadcast to
    /// its shape. Without this y (b·s·h) would stay alive through the whole block backward.
    /// </summary>
    static void ReleaseStorage(Tensor y)
    {
        using var noGrad = torch.no_grad();
        using var stub = torch.zeros(1, y.dtype, y.device).expand(y.shape);
        y.set_(stub);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad)
    {
        GradientHandoff.Flush();
        using var state = (State)ctx.get_data(StateKey);
        state.Context.At("checkpoint backward: start");
        Tensor dx;
        using (var scope = torch.NewDisposeScope())
        {
            var input = state.Input[0].detach().requires_grad_(true);     // (B, T, h) leaf of the recomputation
            using (torch.enable_grad())
            {
                var y = state.Block.Forward(input, state.Context);        // recompute with autograd
                ReleaseStorage(y);
                torch.autograd.backward([y], [grad]);
                y.Dispose();
            }
            GradientHandoff.Flush();
            state.Context.At("checkpoint backward: block done");
            dx = input.grad ?? throw new InvalidOperationException("checkpointed block produced no input gradient");
            dx.MoveToOuterDisposeScope();
        }
        grad.Dispose();
        return [GradientHandoff.Defer(dx)!, null!];
    }
}
