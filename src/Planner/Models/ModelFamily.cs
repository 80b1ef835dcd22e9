namespace GaLore.Planner.Models;

/// <summary>Decoder families whose Hugging Face <c>config.json</c> the planner understands.</summary>
/// <remarks>All three share the Llama block (RMSNorm, rotary attention, SwiGLU MLP); they differ in
/// grouped-query attention, attention biases (Qwen2 has q/k/v biases) and defaults.</remarks>
public enum ModelFamily
{
    Llama,
    Mistral,
    Qwen2,
}
