using GaLore.Planner.Models;
using GaLore.Planner.Models.Families;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace GaLore.Profiler.Model.Parts;

/// <summary>The routed experts' parameters: stacked 3-D tensors (transformers 5.x) or one Linear per expert (4.x).</summary>
/// <param name="GateUp">(E, 2i, h) <c>experts.gate_up_proj</c>, or null for the 4.x layout.</param>
/// <param name="Down">(E, h, i) <c>experts.down_proj</c>, or null for the 4.x layout.</param>
/// <param name="Gate">4.x: each expert's gate Linear (Mixtral's w1), else empty.</param>
/// <param name="Up">4.x: each expert's up Linear (w3).</param>
/// <param name="Down4">4.x: each expert's down Linear (w2).</param>
internal sealed record ExpertParameters(Parameter? GateUp, Parameter? Down, IReadOnlyList<Projection> Gate, IReadOnlyList<Projection> Up,
    IReadOnlyList<Projection> Down4);

/// <summary>
/// A sparse mixture-of-experts MLP as transformers' eager path runs it (5.x <c>&lt;X&gt;SparseMoeBlock</c> with
/// <c>&lt;X&gt;TopKRouter</c> and <c>&lt;X&gt;Experts.forward</c>; 4.x <c>&lt;X&gt;SparseMoeBlock.forward</c>): router logits
/// x·Wᵀ, softmax in float32, top-k, the k weights renormalised when the design says so (in place), in 4.x cast to the
/// hidden dtype; a zero output; under no_grad a one-hot (E, k, T) expert mask; then for each expert that received tokens:
/// its (slot, token) index pairs, the gathered rows, gate/up (5.x: one product with the slice <c>gate_up_proj[e]</c>,
/// chunked; 4.x: its own two Linears), silu(gate)·up, down, times the gathered routing weights (float32 in 5.x, so the
/// product is float32 and is cast back), <c>index_add_</c> into the output. Qwen2-MoE's shared expert runs first in 5.x
/// (after the loop in 4.x), scaled by sigmoid(<c>shared_expert_gate</c>) and added (in place in 5.x). The planner's graph for
/// the <c>torchsharp</c> runtime (<c>MoeGraphParts.EagerExperts</c>) allocates, saves and frees what this does, in this order.
/// </summary>
internal sealed class SparseMoe(MoeDecoderFamily.SparseMlpDesign design, Parameter router, ExpertParameters experts, SwiGluMlp? shared,
    Parameter? sharedGate) : IFeedForward
{
    public Tensor Forward(Tensor x, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        long b = x.shape[0], t = x.shape[1], h = x.shape[2];
        bool v5 = design.Layout == MoeLayout.Fused;
        var hs = x.view(-1, h);                                                      // (T, h) activation dtype
        x.Dispose();
        Tensor? sharedOut = v5 && shared is not null ? shared.Forward(hs.alias(), ctx) : null;   // (T, h)
        var (weights, chosen) = Route(hs, ctx, v5);
        ctx.At("moe: router");
        var final = Experts(hs, weights, chosen, ctx);
        weights.Dispose();
        chosen.Dispose();
        ctx.At("moe: experts");
        if (shared is not null)
        {
            sharedOut ??= shared.Forward(hs.alias(), ctx);
            var gateLogit = Projection.Apply(hs, ctx.Use(sharedGate!), null, ctx.Types);  // (T, 1)
            var sig = gateLogit.sigmoid();
            gateLogit.Dispose();
            var scaled = sig.mul(sharedOut);                                          // (T, h)
            sig.Dispose();
            sharedOut.Dispose();
            if (v5) final.add_(scaled);                                               // expert_output += shared_expert_output
            else
            {
                var sum = final.add(scaled);                                          // final_hidden_states + shared_expert_output
                final.Dispose();
                final = sum;
            }
            scaled.Dispose();
            ctx.At("moe: shared expert");
        }
        hs.Dispose();
        return final.view(b, t, h).MoveToOuterDisposeScope();
    }

    /// <summary>Routing weights (T, k) — float32 (5.x) or the hidden dtype (4.x) — and the chosen experts (T, k) int64.</summary>
    (Tensor Weights, Tensor Chosen) Route(Tensor hs, ForwardContext ctx, bool v5)
    {
        using var scope = torch.NewDisposeScope();
        var logits = Projection.Apply(hs, ctx.Use(router), null, ctx.Types);        // (T, E)
        Tensor probs;                                                               // (T, E) float32, saved by softmax
        if (design.FloatCopyBeforeSoftmax && logits.dtype != ScalarType.Float32)
        {
            using var logits32 = logits.to(ScalarType.Float32);                     // Mixtral 5.x: router_logits.float()
            logits.Dispose();
            probs = logits32.softmax(-1);
        }
        else
        {
            probs = logits.softmax(-1, ScalarType.Float32);
            logits.Dispose();
        }
        var (top, chosen) = probs.topk(design.TopK, -1, true, true);                // (T, k) float32, (T, k) int64
        probs.Dispose();
        if (design.Renormalise)
            using (var sum = top.sum(-1, keepdim: true)) top.div_(sum);
        if (!v5 && top.dtype != hs.dtype)
        {
            var cast = top.to(hs.dtype);                                            // 4.x: routing_weights.to(hidden dtype)
            top.Dispose();
            top = cast;
        }
        return (top.MoveToOuterDisposeScope(), chosen.MoveToOuterDisposeScope());
    }

    /// <summary>The eager loop over the experts that received tokens; returns the (T, h) output in the hidden dtype.</summary>
    Tensor Experts(Tensor hs, Tensor weights, Tensor chosen, ForwardContext ctx)
    {
        using var scope = torch.NewDisposeScope();
        var final = torch.zeros_like(hs);                                           // (T, h)
        Tensor mask;                                                                // (E, k, T) int64 view of one_hot
        long[] hit;
        using (torch.no_grad())
        {
            using var oneHot = nn.functional.one_hot(chosen, design.Experts);       // (T, k, E) int64
            mask = oneHot.permute(2, 1, 0);
            using var counts = mask.sum([-1, -2], false, null);
            using var any = counts.gt(0);
            using var nz = any.nonzero();
            hit = nz.data<long>().ToArray();
        }
        ctx.At("moe: expert mask");
        // The stacked weights are tapped once per forward and read slice by slice (their gradients add up in the tap).
        var gateUp = experts.GateUp is null ? null : ctx.Use(experts.GateUp);
        var down = experts.Down is null ? null : ctx.Use(experts.Down);
        foreach (long e in hit)
        {
            using var expertScope = torch.NewDisposeScope();
            Tensor pairs;
            using (torch.no_grad()) pairs = mask.select(0, e).nonzero();           // (n_e, 2): (slot, token)
            var slot = pairs.select(1, 0);
            var token = pairs.select(1, 1);
            var rows = hs.index(TensorIndex.Tensor(token));                         // (n_e, h)
            Tensor product;                                                         // (n_e, i) silu(gate)·up
            if (gateUp is not null)
            {
                using var weight = gateUp.select(0, e);                             // (2i, h) slice
                var gu = Projection.Apply(rows, weight, null, ctx.Types);           // (n_e, 2i)
                rows.Dispose();
                var halves = gu.chunk(2, -1);
                gu.Dispose();
                using (var act = nn.functional.silu(halves[0], false)) product = act.mul(halves[1]);
                foreach (var half in halves) half.Dispose();
            }
            else
            {
                var gate = experts.Gate[(int)e].Forward(rows, ctx);                 // (n_e, i)
                var up = experts.Up[(int)e].Forward(rows, ctx);                     // (n_e, i)
                rows.Dispose();
                var act = nn.functional.silu(gate, false);
                gate.Dispose();
                product = act.mul(up);
                act.Dispose();
                up.Dispose();
            }
            Tensor outRows;                                                         // (n_e, h)
            if (down is not null)
                using (var weight = down.select(0, e)) outRows = Projection.Apply(product, weight, null, ctx.Types);
            else outRows = experts.Down4[(int)e].Forward(product, ctx);
            product.Dispose();
            var w = weights.index(TensorIndex.Tensor(token), TensorIndex.Tensor(slot), TensorIndex.None); // (n_e, 1)
            var weighted = outRows.mul(w);                                          // promoted: float32 with 5.x weights
            outRows.Dispose();
            w.Dispose();
            var contribution = weighted.dtype == final.dtype ? weighted : weighted.to(final.dtype);
            if (!ReferenceEquals(contribution, weighted)) weighted.Dispose();
            final.index_add_(0, token, contribution, 1);
            contribution.Dispose();
        }
        mask.Dispose();
        return final.MoveToOuterDisposeScope();
    }
}
