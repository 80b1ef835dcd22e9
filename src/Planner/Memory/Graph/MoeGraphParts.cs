namespace GaLore.Planner.Memory.Graph;

/// <summary>
/// The ops of a sparse mixture-of-experts block (top-k routing: Shazeer et al. 2017, arXiv 1701.06538; Mixtral, Jiang
/// et al. 2024, arXiv 2401.04088) as <c>transformers</c> runs them, with what each allocates and what autograd saves
/// (PyTorch's backward formulas: an index gather saves only its indices and its backward scatters into a zero-filled
/// tensor of the source's shape; a product saves both factors when both require grad; <c>select</c> of a weight slice
/// makes a zero-filled gradient of the whole weight, <see cref="ParamRole.Sliced"/>).
/// <para>T tokens are routed to k of E experts each: the (token, slot) pairs number exactly T·k (no capacity, no
/// dropping), so every tensor of the routed path sums to T·k rows whatever the assignment. The eager loop's
/// per-expert tensors (n_e rows, Σ n_e = T·k) are sized for balanced routing, n_e = T·k/E (<see cref="Share"/>): what
/// autograd saves is the same for any assignment; the transient peak of one expert's step grows with the largest n_e,
/// and the planner assumes every expert receives tokens (an expert that receives none is skipped by the loop).</para>
/// </summary>
public static class MoeGraphParts
{
    /// <summary>Bytes per token of expert <paramref name="e"/>'s share of a routed tensor of <paramref name="bytesPerSlot"/>
    /// bytes per (token, slot) pair under balanced routing: the k·B bytes per token split over the E experts so that the
    /// shares add up to k·B exactly.</summary>
    public static Extent Share(long bytesPerSlot, int e, int experts, int topK)
    {
        long total = topK * bytesPerSlot;
        return Extent.Tokens((e + 1) * total / experts - e * total / experts);
    }

    /// <summary>What a router hands the experts: the routing weights (T, k) and the chosen experts (T, k) int64.</summary>
    /// <param name="Weights">Routing weights, float32 (transformers 5.x) or the hidden dtype (4.x).</param>
    /// <param name="Indices">Chosen experts (no gradient).</param>
    public readonly record struct Routing(GraphTensor Weights, GraphTensor Indices);

    /// <summary>
    /// The top-k router: logits = x·Wᵀ (an <c>nn.Linear</c> in 4.x, <c>F.linear</c> with a bare parameter in 5.x; the
    /// same op), softmax in float32 (saved), top-k (saves the indices), the k weights renormalised when
    /// <paramref name="renormalise"/> (in place), and in 4.x (<paramref name="castWeightsTo"/> &gt; 0) cast to the hidden
    /// dtype. <paramref name="floatCopyFirst"/>: Mixtral 5.x writes <c>softmax(logits.float())</c>, a float32 copy of the
    /// logits before the softmax; the others pass <c>dtype=torch.float</c> (which libtorch's CPU kernel also implements
    /// with a float32 copy of a 16-bit input).
    /// </summary>
    public static Routing Router(GraphBuilder b, GraphContext x, GraphTensor input, long hidden, int experts, int topK,
        ParamRole weight, bool renormalise, bool floatCopyFirst, long castWeightsTo)
    {
        long a = x.ActivationBytes;
        var logits = GraphParts.Linear(b, x, "router", input, experts, hidden, weight, null);            // (T, E)
        var probsIn = logits;
        if (floatCopyFirst && a != 4)
        {
            probsIn = b.Tensor("router logits float32", Extent.Tokens(4 * experts));
            b.Op("router_logits.float()", [logits], [probsIn]);
        }
        var probs = b.Tensor("router softmax float32", Extent.Tokens(4 * experts));                       // (T, E) float32
        bool copies = probsIn.Size.PerToken != 4 * experts && x.Flavor.HostKernels;
        b.Op("router softmax", [probsIn], [probs], saved: [probs], forwardScratch: copies ? Extent.Tokens(4 * experts) : Extent.Zero);
        var top = b.Tensor("routing weights (top-k) float32", Extent.Tokens(4 * topK));                   // (T, k) float32
        var chosen = b.Tensor("chosen experts", Extent.Tokens(8 * topK), requiresGrad: false);             // (T, k) int64
        b.Op("topk", [probs], [top, chosen], saved: [chosen]);
        if (renormalise)
        {
            // top /= top.sum(-1, keepdim=True): the in-place division keeps the divisor and a copy of the original top-k.
            var sum = b.Tensor("routing weights sum", Extent.Tokens(4));
            b.Op("routing weights sum", [top], [sum]);
            var original = b.Tensor("routing weights before /=", Extent.Tokens(4 * topK), requiresGrad: false);
            var normalised = b.Tensor("routing weights renormalised", Extent.Tokens(4 * topK));
            b.Op("routing weights /= sum", [top, sum], [normalised, original], saved: [sum, original], inPlace: true);
            top = normalised;
        }
        if (castWeightsTo > 0 && castWeightsTo != 4)
        {
            var cast = b.Tensor("routing weights (hidden dtype)", Extent.Tokens(castWeightsTo * topK));
            b.Op("routing_weights.to(hidden dtype)", [top], [cast]);
            top = cast;
        }
        return new Routing(top, chosen);
    }

    /// <summary>The parameter roles of the routed experts.</summary>
    public abstract record ExpertWeights;

    /// <summary>transformers 5.x: stacked 3-D parameters <c>experts.gate_up_proj</c> (E, 2i, h) and <c>experts.down_proj</c>
    /// (E, h, i); the eager loop reads them slice by slice, <c>grouped_mm</c> whole.</summary>
    public sealed record StackedWeights(ParamRole GateUp, ParamRole Down) : ExpertWeights;

    /// <summary>transformers 4.x: one Linear per expert and projection, indexed by expert.</summary>
    public sealed record PerExpertWeights(IReadOnlyList<ParamRole> Gate, IReadOnlyList<ParamRole> Up, IReadOnlyList<ParamRole> Down) : ExpertWeights;

    /// <summary>
    /// The eager experts loop (5.x <c>&lt;X&gt;Experts.forward</c> with <c>experts_implementation="eager"</c>; 4.x
    /// <c>&lt;X&gt;SparseMoeBlock.forward</c>): a zero (T, h) output in the hidden dtype; under no_grad a one-hot
    /// expert mask (T, k, E) int64, alive until the loop ends; then per expert its (n_e, 2) index pairs, the gathered
    /// rows (saved by the next matmul), gate/up (5.x: one (n_e, 2i) product chunked in two; 4.x: two Linears), silu·up,
    /// down, the product with the routing weights (in their dtype: float32 in 5.x, so a float32 (n_e, h) and its cast
    /// back), and <c>index_add_</c> into the output. Returns the (T, h) output.
    /// </summary>
    public static GraphTensor EagerExperts(GraphBuilder b, GraphContext x, GraphTensor input, Routing routing, long hidden,
        long intermediate, int experts, int topK, ExpertWeights weights)
    {
        long a = x.ActivationBytes, h = hidden, i = intermediate;
        long xb = input.Size.PerToken / h;                                      // the hidden dtype
        long wb = routing.Weights.Size.PerToken / topK;                         // the routing weights' dtype
        long pb = Math.Max(a, wb);                                              // expert output × weight, promoted
        var final = b.Tensor("experts out", Extent.Tokens(xb * h));            // (T, h) zeros
        b.Op("zeros (experts out)", [], [final]);
        var mask = b.Tensor("expert mask one_hot", Extent.Tokens(8 * topK * experts), requiresGrad: false); // (T, k, E) int64
        b.Op("one_hot(chosen experts)", [routing.Indices], [mask]);
        for (int e = 0; e < experts; e++)
        {
            int expert = e;
            Extent Rows(long bytesPerRow) => Share(bytesPerRow, expert, experts, topK);
            var idx = b.Tensor($"expert {e} where(mask)", Rows(16), requiresGrad: false);                   // (n_e, 2) int64
            b.Op($"expert {e} where", [mask], [idx]);
            var rows = b.Tensor($"expert {e} rows", Rows(xb * h));                                          // (n_e, h)
            b.Op($"expert {e} gather rows", [input, idx], [rows], saved: [idx]);
            GraphTensor gate, up, gateHolder, upHolder;
            if (weights is StackedWeights s)
            {
                var gu = ExpertLinear(b, x, $"expert {e} gate_up", rows, xb, 2 * i, h, s.GateUp.Slice(), Rows);   // (n_e, 2i)
                gate = b.View($"expert {e} gate", gu, Rows(a * i));
                up = b.View($"expert {e} up", gu, Rows(a * i));
                b.Op($"expert {e} chunk", [gu], [gate, up]);
                gateHolder = upHolder = gu;                                                 // the views keep gu alive
            }
            else
            {
                var p = (PerExpertWeights)weights;
                gate = gateHolder = ExpertLinear(b, x, $"expert {e} gate_proj", rows, xb, i, h, p.Gate[e], Rows);  // (n_e, i)
                up = upHolder = ExpertLinear(b, x, $"expert {e} up_proj", rows, xb, i, h, p.Up[e], Rows);          // (n_e, i)
            }
            var act = b.Tensor($"expert {e} silu(gate)", Rows(a * i));
            b.Op($"expert {e} silu", [gate], [act], saved: [gateHolder]);
            var prod = b.Tensor($"expert {e} silu(gate)·up", Rows(a * i));
            b.Op($"expert {e} mul", [act, up], [prod], saved: [act, upHolder]);
            var downWeight = weights is StackedWeights st ? st.Down.Slice() : ((PerExpertWeights)weights).Down[e];
            var down = ExpertLinear(b, x, $"expert {e} down", prod, a, h, i, downWeight, Rows);                 // (n_e, h)
            var w = b.Tensor($"expert {e} routing weight", Rows(wb));                                        // (n_e, 1)
            b.Op($"expert {e} gather routing weight", [routing.Weights, idx], [w], saved: [idx]);
            var weighted = b.Tensor($"expert {e} out·weight", Rows(pb * h));                                 // (n_e, h)
            b.Op($"expert {e} mul routing weight", [down, w], [weighted], saved: [down, w],
                backwardScratch: Rows(pb * h));                                           // the (n_e, h) product for d(weight)
            var contribution = weighted;
            if (pb != xb)
            {
                contribution = b.Tensor($"expert {e} out·weight (hidden dtype)", Rows(xb * h));
                b.Op($"expert {e} .to(hidden dtype)", [weighted], [contribution]);
            }
            var next = b.Tensor("experts out", Extent.Tokens(xb * h));
            b.Op($"expert {e} index_add_", [final, contribution, idx], [next], saved: [idx], passThroughGrad: true, inPlace: true);
            final = next;
        }
        b.Op("experts loop returns", [mask], []);
        return final;
    }

    /// <summary>
    /// transformers 5.x's default <c>grouped_mm_experts_forward</c> (<c>integrations/moe.py</c>) over the S = T·k (token,
    /// slot) pairs: the rows gathered per pair, argsort by expert (and its inverse), rows and weights permuted (copies;
    /// the unsorted rows die), per-expert counts (<c>histc</c>) and offsets, one grouped matmul with all of
    /// <c>gate_up_proj</c> (its input cast to the weight dtype, saved), silu(gate)·up, one grouped matmul with
    /// <c>down_proj</c>, the product with the float32 weights, un-permuted, summed over the k slots, cast back.
    /// Nothing depends on which expert a token chose. Returns the (T, h) output in the hidden dtype.
    /// </summary>
    public static GraphTensor GroupedMmExperts(GraphBuilder b, GraphContext x, GraphTensor input, Routing routing, long hidden,
        long intermediate, int experts, int topK, StackedWeights weights)
    {
        long h = hidden, i = intermediate, k = topK;
        long xb = input.Size.PerToken / h;                                      // the hidden dtype
        long ob = x.Precision.WeightBytes;                                      // grouped_mm runs in the weights' dtype
        long wb = routing.Weights.Size.PerToken / k;
        long pb = Math.Max(ob, wb);
        var tokenIdx = b.Tensor("token_idx", Extent.Tokens(8 * k), requiresGrad: false);                   // (S,) int64
        b.Op("arange(T).expand(k).reshape(-1)", [], [tokenIdx], forwardScratch: Extent.Tokens(8));
        var selected = b.Tensor("selected rows", Extent.Tokens(k * xb * h));                                // (S, h)
        b.Op("hidden[token_idx]", [input, tokenIdx], [selected], saved: [tokenIdx]);
        var perm = b.Tensor("perm", Extent.Tokens(8 * k), requiresGrad: false);
        b.Op("argsort(expert_ids)", [routing.Indices], [perm], forwardScratch: Extent.Tokens(8 * k));      // sort's values
        var invPerm = b.Tensor("inv_perm", Extent.Tokens(8 * k), requiresGrad: false);
        b.Op("argsort(perm)", [perm], [invPerm], forwardScratch: Extent.Tokens(8 * k));
        var ids = b.Tensor("expert_ids[perm]", Extent.Tokens(8 * k), requiresGrad: false);
        b.Op("expert_ids[perm]", [routing.Indices, perm], [ids]);
        var sortedWeights = b.Tensor("sample_weights[perm]", Extent.Tokens(4 * k));                       // (S,) float32
        b.Op("sample_weights[perm]", [routing.Weights, perm], [sortedWeights], saved: [perm]);
        var sorted = b.Tensor("selected rows[perm]", Extent.Tokens(k * xb * h));                            // (S, h)
        b.Op("selected[perm]", [selected, perm], [sorted], saved: [perm]);
        var offsets = b.Tensor("offsets", Extent.Fixed(4L * experts), requiresGrad: false);                // (E,) int32
        b.Op("histc + cumsum", [ids], [offsets], forwardScratch: Extent.Tokens(4 * k) + Extent.Fixed(4L * experts));
        var gin = sorted;
        if (xb != ob)
        {
            gin = b.Tensor("selected rows (weight dtype)", Extent.Tokens(k * ob * h));
            b.Op("input.to(weight.dtype)", [sorted], [gin]);
        }
        var gu = b.Tensor("grouped_mm gate_up out", Extent.Tokens(k * ob * 2 * i));                        // (S, 2i)
        b.Op("grouped_mm gate_up_proj", [gin, offsets], [gu], saved: [gin, offsets], parameters: [weights.GateUp]);
        var gate = b.View("gate", gu, Extent.Tokens(k * ob * i));
        var up = b.View("up", gu, Extent.Tokens(k * ob * i));
        b.Op("chunk", [gu], [gate, up]);
        var act = b.Tensor("silu(gate)", Extent.Tokens(k * ob * i));
        b.Op("silu", [gate], [act], saved: [gu]);
        var prod = b.Tensor("silu(gate)·up", Extent.Tokens(k * ob * i));
        b.Op("mul", [act, up], [prod], saved: [act, gu]);
        var down = b.Tensor("grouped_mm down out", Extent.Tokens(k * ob * h));                             // (S, h)
        b.Op("grouped_mm down_proj", [prod, offsets], [down], saved: [prod, offsets], parameters: [weights.Down]);
        var weighted = b.Tensor("out·sample_weights", Extent.Tokens(k * pb * h));                          // (S, h) float32
        b.Op("mul sample weights", [down, sortedWeights], [weighted], saved: [down, sortedWeights],
            backwardScratch: Extent.Tokens(k * pb * h));                                  // the (S, h) product for d(weight)
        var unsorted = b.Tensor("out[inv_perm]", Extent.Tokens(k * pb * h));
        b.Op("[inv_perm]", [weighted, invPerm], [unsorted], saved: [invPerm]);
        var summed = b.Tensor("sum over slots", Extent.Tokens(pb * h));                                    // (T, h)
        b.Op("view(T, k, h).sum(1)", [unsorted], [summed]);
        if (pb == xb) return summed;
        var cast = b.Tensor("experts out", Extent.Tokens(xb * h));
        b.Op(".to(hidden dtype)", [summed], [cast]);
        return cast;
    }

    /// <summary>One expert's projection of its rows (<paramref name="inBytes"/> per input element): <c>F.linear</c> with a
    /// weight slice <c>W[e]</c> (5.x) or its own Linear (4.x). Under autocast a float32 input and the weight (slice) are cast
    /// to bfloat16 and the copies are saved; a slice's gradient exists, in the weight's dtype, while select_backward
    /// scatters it into the whole weight's (backward scratch of the op that reads the slice).</summary>
    static GraphTensor ExpertLinear(GraphBuilder b, GraphContext x, string name, GraphTensor input, long inBytes, long outFeatures,
        long inFeatures, ParamRole weight, Func<long, Extent> rows)
    {
        var inputs = new List<GraphTensor>();
        var xin = input;
        if (x.CastsWeights && inBytes == 4)
        {
            xin = b.Tensor($"{name} input bf16", rows(2 * inFeatures));
            b.Op($"autocast {name} input", [input], [xin]);
        }
        inputs.Add(xin);
        ParamRole[] ps = [];
        long sliceGradBytes = weight.Sliced ? x.Precision.GradientBytes * outFeatures * inFeatures : 0;
        if (x.CastsWeights)
        {
            var wb = b.Tensor($"{name}.weight bf16", Extent.Fixed(2 * outFeatures * inFeatures));
            b.Op($"autocast {name}.weight", [], [wb], parameters: [weight], backwardScratch: Extent.Fixed(sliceGradBytes));
            inputs.Add(wb);
            sliceGradBytes = 0;
        }
        else ps = [weight];
        var y = b.Tensor($"{name} out", rows(x.ActivationBytes * outFeatures));
        b.Op(name, inputs.ToArray(), [y], saved: inputs.ToArray(), parameters: ps, backwardScratch: Extent.Fixed(sliceGradBytes));
        return y;
    }
}
