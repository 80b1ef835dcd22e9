namespace GaLore.Planner.Models;

/// <summary>
/// The MLP's activation, as <c>transformers.activations.ACT2FN</c> maps the config's name. What matters for memory is
/// whether it is one fused op (which saves its input) or a chain of elementwise ops (each with its own saved tensors).
/// </summary>
public enum HiddenActivation
{
    /// <summary><c>silu</c> / <c>swish</c>: <c>nn.functional.silu</c>, one op.</summary>
    Silu,
    /// <summary><c>gelu</c>: <c>nn.functional.gelu</c> (erf), one op.</summary>
    Gelu,
    /// <summary><c>gelu_pytorch_tanh</c>: <c>nn.functional.gelu(approximate="tanh")</c>, one op (Gemma's).</summary>
    GeluTanh,
    /// <summary><c>gelu_new</c>: <c>NewGELUActivation</c>, the tanh approximation written as eight elementwise ops,
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) (GPT-2's).</summary>
    GeluNew,
}

/// <summary>Hugging Face's activation names.</summary>
public static class HiddenActivations
{
    /// <summary>Reads an <c>ACT2FN</c> name; <paramref name="config"/> and <paramref name="field"/> label the error.</summary>
    public static HiddenActivation Parse(string name, string config, string field) => name switch
    {
        "silu" or "swish" => HiddenActivation.Silu,
        "gelu" => HiddenActivation.Gelu,
        "gelu_pytorch_tanh" => HiddenActivation.GeluTanh,
        "gelu_new" => HiddenActivation.GeluNew,
        _ => throw new PlannerInputException(
            $"model config '{config}': {field} '{name}' is not modelled (modelled: silu, gelu, gelu_pytorch_tanh, gelu_new)"),
    };

    /// <summary>The HF name.</summary>
    public static string Name(this HiddenActivation a) => a switch
    {
        HiddenActivation.Silu => "silu",
        HiddenActivation.Gelu => "gelu",
        HiddenActivation.GeluTanh => "gelu_pytorch_tanh",
        HiddenActivation.GeluNew => "gelu_new",
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "unknown activation"),
    };
}
