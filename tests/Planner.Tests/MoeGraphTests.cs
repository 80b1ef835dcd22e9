using GaLore.Planner.Memory;
using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;
using GaLore.Planner.Optimizers;
using GaLore.Planner.Runtime;

namespace GaLore.Planner.Tests;

/// <summary>What a mixture-of-experts block keeps for backward, derived by hand; that the routed total does not depend on
/// the experts' count or implementation; and the simulator's rules the experts' ops need (a weight read slice by slice,
/// in-place ops, views).</summary>
public class MoeGraphTests
{
    static OpGraph Block(ModelConfig m, RuntimeProfile runtime, PrecisionMode mode = PrecisionMode.Bf16)
    {
        var context = new GraphContext(new Precision(mode), runtime.Flavor, AttentionKind.Sdpa);
        return m.Family.Graph(m.Layout().Parts.First(p => p.Design.Kind == PartKind.Block).Design, context);
    }

    static ModelConfig Olmoe(int experts, string extra = "") => HfConfigLoader.Parse($$"""
        { "model_type": "olmoe", "vocab_size": 1000, "hidden_size": 64, "intermediate_size": 32, "num_hidden_layers": 2,
          "num_attention_heads": 4, "num_experts": {{experts}}, "num_experts_per_tok": 2 {{extra}} }
        """, $"olmoe-{experts}");

    [Fact]
    public void Eager_olmoe_block_in_bf16_saves_what_autograd_keeps()
    {
        // h = q = kv = 64, i = 32, E = 8, k = 2; this project's fused norm saves x and 1/rms.
        long attention = (2 * 64 + 4)          // input_layernorm: x, 1/rms
            + 2 * 64                            // q, k, v projections' input
            + 2 * (2 * 64 + 4)                  // q_norm, k_norm over the whole projection: input, 1/rms
            + 4 * 2 * 64 + 4 * 4;               // SDPA: q, k, v rotated, output; logsumexp per head
        long router = (2 * 64 + 4)              // post_attention_layernorm
            + 2 * 64                            // router's input (the experts' gathers save only indices)
            + 4 * 8                             // softmax, float32 (T, E)
            + 8 * 2;                            // topk's int64 indices (T, k)
        long routed = 2 * (16                   // per (token, slot) pair: the (n_e, 2) int64 index pairs,
            + 2 * 64                            // the gathered row,
            + 2 * (2 * 32) + 2 * 32 + 2 * 32    // gate_up out, silu(gate), silu(gate)·up,
            + 2 * 64                            // down out (for the routing weight's gradient)
            + 4);                               // and its float32 routing weight
        Assert.Equal(Extent.Tokens(attention + router + routed), Block(Olmoe(8), RuntimeProfile.TorchSharpKernels).SavedSize());
    }

    [Fact]
    public void Routed_activations_do_not_depend_on_the_number_of_experts()
    {
        // Σ n_e = T·k whatever the assignment: only the router's (T, E) float32 softmax grows with E.
        var few = Block(Olmoe(7), RuntimeProfile.TorchSharpKernels).SavedSize();
        var many = Block(Olmoe(60), RuntimeProfile.TorchSharpKernels).SavedSize();
        Assert.Equal(4 * (60 - 7), many.PerToken - few.PerToken);
        Assert.Equal(0, many.Const);
        // Mixed precision also keeps each expert's bfloat16 weight copies (every expert receives tokens) and the router's.
        var fewMixed = Block(Olmoe(7), RuntimeProfile.TorchSharpKernels, PrecisionMode.Mixed).SavedSize();
        var manyMixed = Block(Olmoe(60), RuntimeProfile.TorchSharpKernels, PrecisionMode.Mixed).SavedSize();
        Assert.Equal((60 - 7) * 2L * (3 * 32 * 64 + 64), manyMixed.Const - fewMixed.Const);
    }

    [Theory]
    [InlineData(8, 2)]
    [InlineData(60, 4)]
    [InlineData(128, 8)]
    [InlineData(7, 3)]
    public void Balanced_shares_add_up_to_k_rows_per_token(int experts, int topK)
    {
        foreach (long bytes in new long[] { 1, 16, 2 * 2048, 4 * 1408, 2 * 14336 })
            Assert.Equal(topK * bytes, Enumerable.Range(0, experts).Sum(e => MoeGraphParts.Share(bytes, e, experts, topK).PerToken));
    }

    [Fact]
    public void Grouped_mm_and_the_eager_loop_save_the_same_routed_rows()
    {
        // Same runtime, only experts_implementation differs: grouped_mm keeps token_idx, perm and inv_perm (3 × 8 bytes per
        // pair) and the offsets (4 bytes per expert) where the eager loop keeps its (n_e, 2) index pairs (16 bytes per pair).
        var grouped = Block(Olmoe(8), RuntimeProfile.PyTorchReference).SavedSize();
        var eager = Block(Olmoe(8, """, "experts_implementation": "eager" """), RuntimeProfile.PyTorchReference).SavedSize();
        Assert.Equal(2 * (3 * 8 - 16), grouped.PerToken - eager.PerToken);
        Assert.Equal(4 * 8, grouped.Const - eager.Const);
    }

    [Fact]
    public void A_weight_read_slice_by_slice_sums_in_place_with_one_full_transient()
    {
        var b = new GraphBuilder("slices");
        var w = b.Param("w");
        var x = b.Input("x", Extent.Tokens(8));
        var outs = new List<GraphTensor>();
        for (int e = 0; e < 3; e++)
        {
            var y = b.Tensor($"y{e}", Extent.Tokens(8));
            b.Op($"expert {e}", [x], [y], saved: [x], parameters: [w.Slice()]);
            outs.Add(y);
        }
        var sum = b.Tensor("sum", Extent.Tokens(8));
        b.Op("sum", [.. outs], [sum], passThroughGrad: true);
        var g = b.Build(sum);
        Assert.Equal([3], g.RoleUses.ToArray());
        var p = new BoundParam("w", 1000, g.RoleUses[0], -1);
        var log = new EventLog();
        new GraphSimulator(log).Backward(g, [p], inputKeptByCheckpoint: false);
        var grads = log.Drain().Where(e => e.Category == MemoryCategory.Gradients).ToList();
        // first slice: the buffer; each further slice: a zero-filled full-size gradient, added in place, freed.
        Assert.Equal([(false, 1000L), (false, 1000), (true, 1000), (false, 1000), (true, 1000)],
            grads.Select(e => (e.IsFree, e.Size.Const)));
        Assert.Equal(2000, Peak(grads));
    }

    [Fact]
    public void In_place_ops_allocate_nothing_and_views_have_gradients_of_their_shape()
    {
        var b = new GraphBuilder("in place");
        var x = b.Input("x", Extent.Tokens(10));
        var y = b.Tensor("y", Extent.Tokens(10));
        b.Op("y = f(x)", [x], [y], saved: [x]);
        var half = b.View("half of y", y, Extent.Tokens(5));
        b.Op("chunk", [y], [half]);
        var z = b.Tensor("z", Extent.Tokens(5));
        b.Op("g(half)", [half], [z], saved: [y]);
        var acc = b.Tensor("acc", Extent.Tokens(10));
        b.Op("zeros", [], [acc]);
        var acc2 = b.Tensor("acc'", Extent.Tokens(10));
        b.Op("acc.index_add_(z)", [acc, z], [acc2], passThroughGrad: true, inPlace: true);
        var g = b.Build(acc2);
        var log = new EventLog();
        var sim = new GraphSimulator(log);
        sim.Forward(g, ForwardMode.Normal);
        var forward = log.Drain();
        Assert.DoesNotContain(forward, e => e.Label.EndsWith(": acc'", StringComparison.Ordinal) || e.Label.EndsWith(": half of y", StringComparison.Ordinal));
        Assert.Equal(10 + 5 + 10 - 5, forward.Sum(e => e.IsFree ? -e.Size.PerToken : e.Size.PerToken)); // y, z (freed), acc
        sim.Backward(g, [], inputKeptByCheckpoint: false);
        var backward = log.Drain();
        Assert.Contains(backward, e => !e.IsFree && e.Label.Contains("dhalf of y", StringComparison.Ordinal) && e.Size.PerToken == 5);
        Assert.Contains(backward, e => !e.IsFree && e.Label.Contains("dz", StringComparison.Ordinal) && e.Size.PerToken == 5);
    }

    [Fact]
    public void Every_moe_preset_compiles_on_both_runtimes_and_layouts()
    {
        foreach (var name in new[] { "mixtral-8x7b", "qwen3-30b-a3b", "qwen1.5-moe-a2.7b", "olmoe-1b-7b" })
            foreach (var layout in new[] { MoeLayout.Fused, MoeLayout.PerExpert })
                foreach (var runtime in RuntimeProfile.All)
                {
                    var m = ModelPresets.Find(name)!;
                    m = m with { Moe = m.Moe! with { Layout = layout } };
                    var step = new StepSpec(m, OptimizerSetup.FromName("galore_adamw_8bit_layerwise"), Precision.Parse("bf16"), Runtime: runtime);
                    var program = StepCompiler.Compile(step);
                    long peak = program.PeakBytes(256, 256);
                    long persistent = program.Persistent.Total;
                    Assert.True(peak > persistent && peak < persistent + (40L << 30), $"{name} {layout} {runtime}: {peak} over {persistent}");
                }
    }

    static long Peak(IEnumerable<StepEvent> events)
    {
        long now = 0, peak = 0;
        foreach (var e in events)
        {
            now += e.IsFree ? -e.Size.Bytes(1, 1) : e.Size.Bytes(1, 1);
            peak = Math.Max(peak, now);
        }
        return peak;
    }
}
