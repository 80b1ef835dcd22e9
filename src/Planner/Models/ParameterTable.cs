namespace GaLore.Planner.Models;

/// <summary>
/// The trainable tensors of a model in Hugging Face's names and <c>named_parameters()</c> order, read from its
/// family's layout (<see cref="ModelFamily.Layout"/>, where each tensor is one line, as llm.c's
/// <c>fill_in_parameter_sizes</c>).
/// </summary>
public static class ParameterTable
{
    /// <summary>Lists every parameter; the sum of <see cref="ParameterTensor.Elements"/> is the model's
    /// parameter count (tied embeddings counted once, as <c>model.num_parameters()</c> does).</summary>
    public static IReadOnlyList<ParameterTensor> Build(ModelConfig c) => c.Layout().Parameters;
}
