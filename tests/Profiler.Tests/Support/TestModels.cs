using GaLore.Planner.Models;
using GaLore.Profiler.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace GaLore.Profiler.Tests.Support;

/// <summary>Small configs and helpers shared by the model tests.</summary>
public static class TestModels
{
    public static ModelConfig Tiny => ModelPresets.Find("tiny")!;

    /// <summary>Qwen2-style: grouped-query attention with q/k/v biases.</summary>
    public static ModelConfig GqaWithBiases =>
        new ModelConfig("gqa-bias", ModelFamilies.Qwen2, 96, 48, 80, 2, 6, 2, 8, TieWordEmbeddings: false,
            QkvBias: true, OutputBias: false, MlpBias: false, MaxPositionEmbeddings: 256).Validate();

    /// <summary>Llama with attention_bias and mlp_bias (biases on q, k, v, o and the MLP).</summary>
    public static ModelConfig AllBiases =>
        new ModelConfig("all-bias", ModelFamilies.Llama, 80, 32, 64, 1, 4, 4, 8, TieWordEmbeddings: false,
            QkvBias: true, OutputBias: true, MlpBias: true, MaxPositionEmbeddings: 256).Validate();

    /// <summary>Tied embeddings, grouped-query.</summary>
    public static ModelConfig Tied => ModelConfig.Llama("tied", 100, 32, 48, 2, 4, kvHeads: 2, tie: true);

    public static Tensor Ids(ModelConfig c, int batch, int seq, ulong seed = 7)
    {
        using var g = new Generator(seed);
        return torch.randint(0, c.VocabSize, [batch, seq], ScalarType.Int64, generator: g);
    }

    /// <summary>Forward + backward; returns the loss.</summary>
    public static float LossAndBackward(CausalLm model, Tensor ids)
    {
        using var scope = torch.NewDisposeScope();
        var loss = model.forward(ids, CausalLm.ShiftedTargets(ids));
        loss.backward();
        model.AfterBackward();
        return loss.to(ScalarType.Float32).item<float>();
    }

    /// <summary>Asserts that every parameter of the planner's table holds a non-zero gradient of its own shape.</summary>
    public static void AssertEveryParameterHasItsGradient(CausalLm model, IReadOnlyList<ParameterTensor> table, string label = "")
    {
        for (int k = 0; k < table.Count; k++)
        {
            var p = model.NamedParameters[k];
            long[] expected = table[k].Shape();
            Xunit.Assert.Equal(expected, p.Tensor.shape);
            using var grad = p.Tensor.grad;
            Xunit.Assert.True(grad is not null, $"{label}{p.Name} received no gradient");
            Xunit.Assert.Equal(expected, grad!.shape);
            Xunit.Assert.True(grad.abs().sum().item<float>() > 0, $"{label}{p.Name}'s gradient is zero");
        }
    }

    /// <summary>Asserts that two models of the same layout hold the same gradients within a tolerance.</summary>
    public static void AssertSameGradients(CausalLm a, CausalLm b, double rtol, double atol, string why)
    {
        var g1 = Grads(a);
        var g2 = Grads(b);
        try
        {
            foreach (var (name, grad) in g1)
                Xunit.Assert.True(grad.allclose(g2[name], rtol: rtol, atol: atol), $"{name} differs {why}");
        }
        finally
        {
            foreach (var t in g1.Values.Concat(g2.Values)) t.Dispose();
        }
    }

    /// <summary>After one forward and backward of <paramref name="ids"/>: the model's parameters are the planner's table (names,
    /// order, shapes, count) and each holds a nonzero gradient of its own shape.</summary>
    public static void AssertEveryParameterGetsAGradientOfItsShape(CausalLm model, Tensor ids)
    {
        var table = ParameterTable.Build(model.Config);
        Assert.Equal(table.Select(t => t.Name), model.NamedParameters.Select(p => p.Name));
        LossAndBackward(model, ids);
        AssertEveryParameterHasItsGradient(model, table);
        Assert.Equal(table.Sum(t => t.Elements), model.NamedParameters.Sum(p => p.Tensor.numel()));
    }

    /// <summary>Copies of every parameter's gradient (float32), by name.</summary>
    public static Dictionary<string, Tensor> Grads(CausalLm model)
    {
        var result = new Dictionary<string, Tensor>();
        foreach (var p in model.NamedParameters)
        {
            using var g = p.Tensor.grad ?? throw new InvalidOperationException($"{p.Name} has no gradient");
            result[p.Name] = g.to(ScalarType.Float32).clone().DetachFromDisposeScope();
        }
        return result;
    }
}

/// <summary>Tensor comparisons for assertions.</summary>
public static class TensorAssert
{
    /// <summary>Same shape and every element equal.</summary>
    public static bool Same(Tensor a, Tensor b)
    {
        if (!a.shape.SequenceEqual(b.shape)) return false;
        using var eq = a.eq(b).all();
        return eq.item<bool>();
    }
}
