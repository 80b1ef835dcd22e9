using GaLore.Planner.Models;

namespace GaLore.Planner.Tests;

public class ParameterCountTests
{
    // Public figures: model.num_parameters() of the Hugging Face checkpoints (Llama-2 paper/model cards,
    // Mistral 7B, Meta-Llama-3-8B, Qwen2.5-7B); the GaLore presets use the configs of the GaLore repository.
    [Theory]
    [InlineData("llama-2-7b", 6_738_415_616L)]
    [InlineData("llama-7b", 6_738_415_616L)]
    [InlineData("llama-2-13b", 13_015_864_320L)]
    [InlineData("mistral-7b", 7_241_732_096L)]
    [InlineData("llama-3-8b", 8_030_261_248L)]
    [InlineData("qwen2.5-7b", 7_615_616_512L)]
    [InlineData("llama-3.1-8b", 8_030_261_248L)]
    [InlineData("llama-2-70b", 68_976_648_192L)]
    [InlineData("llama-3.1-70b", 70_553_706_496L)]
    public void Public_checkpoints_have_their_published_parameter_counts(string preset, long expected) =>
        Assert.Equal(expected, Count(ModelPresets.Find(preset)!));

    // The 70B checkpoints by hand: per block 2·h·h (q, o) + 2·h·(kv_heads·d) (k, v) + 3·h·i (gate, up, down) + 2h (norms);
    // then the embedding and the untied lm_head (V·h each) and the final norm (h).
    [Theory]
    [InlineData("llama-2-70b", 32000L)]
    [InlineData("llama-3.1-70b", 128256L)]
    public void Seventy_b_counts_follow_from_one_line_per_tensor(string preset, long vocab)
    {
        var m = ModelPresets.Find(preset)!;
        long h = 8192, i = 28672, kv = 8 * 128, l = 80;
        long block = 2 * h * h + 2 * h * kv + 3 * h * i + 2 * h;   // 855,654,400
        Assert.Equal(855_654_400L, block);
        Assert.Equal(2 * vocab * h + l * block + h, Count(m));
        Assert.Equal((vocab, 8192, 28672, 80, 64, 8, 128), (m.VocabSize, m.HiddenSize, m.IntermediateSize, m.NumLayers, m.NumHeads, m.NumKeyValueHeads, m.HeadDim));
    }

    // The GaLore paper names its models by rounded size (Table 5: 60M, 130M, 350M, 1B, 7B). The exact
    // counts follow from one line per tensor: 2·V·h (embedding + untied lm_head) + L·(4h² + 3·h·i + 2h) + h.
    [Theory]
    [InlineData("llama-60m", 60e6, 58_073_600L)]
    [InlineData("llama-130m", 130e6, 134_105_856L)]
    [InlineData("llama-350m", 350e6, 367_969_280L)]
    [InlineData("llama-1b", 1e9, 1_339_082_752L)]
    [InlineData("llama-7b", 7e9, 6_738_415_616L)]
    public void GaLore_paper_presets_match_their_nominal_sizes(string preset, double nominal, long exact)
    {
        var m = ModelPresets.Find(preset)!;
        long h = m.HiddenSize, i = m.IntermediateSize, v = m.VocabSize, l = m.NumLayers;
        Assert.Equal(2 * v * h + l * (4 * h * h + 3 * h * i + 2 * h) + h, exact);
        Assert.Equal(exact, Count(m));
        Assert.InRange(exact / nominal, 0.95, 1.35); // names round down: "1B" is 1.34 B
    }

    [Fact]
    public void Every_preset_is_valid_and_unique()
    {
        Assert.Equal(ModelPresets.All.Count, ModelPresets.All.Select(m => m.Name).Distinct().Count());
        foreach (var m in ModelPresets.All) m.Validate();
        Assert.Contains(ModelPresets.All, m => m.IsGroupedQuery);
    }

    [Fact]
    public void Tied_embeddings_are_counted_once()
    {
        var untied = ModelPresets.Find("tiny")!;
        var tied = untied with { TieWordEmbeddings = true };
        Assert.Equal(Count(untied) - (long)untied.VocabSize * untied.HiddenSize, Count(tied));
        Assert.DoesNotContain(ParameterTable.Build(tied), t => t.Name == "lm_head.weight");
    }

    [Fact]
    public void Tensor_table_reads_like_the_hf_state_dict()
    {
        var m = ModelPresets.Find("qwen2.5-7b")!;
        var t = ParameterTable.Build(m).Where(x => x.Layer == 0).Select(x => (x.Name, x.Rows, x.Cols)).ToList();
        Assert.Equal(
        [
            ("model.layers.0.input_layernorm.weight", 3584L, 1L),
            ("model.layers.0.self_attn.q_proj.weight", 3584, 3584), ("model.layers.0.self_attn.q_proj.bias", 3584, 1),
            ("model.layers.0.self_attn.k_proj.weight", 512, 3584), ("model.layers.0.self_attn.k_proj.bias", 512, 1),
            ("model.layers.0.self_attn.v_proj.weight", 512, 3584), ("model.layers.0.self_attn.v_proj.bias", 512, 1),
            ("model.layers.0.self_attn.o_proj.weight", 3584, 3584),
            ("model.layers.0.post_attention_layernorm.weight", 3584, 1),
            ("model.layers.0.mlp.gate_proj.weight", 18944, 3584),
            ("model.layers.0.mlp.up_proj.weight", 18944, 3584),
            ("model.layers.0.mlp.down_proj.weight", 3584, 18944),
        ], t);
    }

    internal static long Count(ModelConfig m) => ParameterTable.Build(m).Sum(t => t.Elements);
}
