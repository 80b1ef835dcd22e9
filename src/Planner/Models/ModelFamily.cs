using GaLore.Planner.Memory.Graph;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Models;

/// <summary>
/// One model family, as Hugging Face's <c>model_type</c> names it: how its <c>config.json</c> reads (fields and
/// the defaults of its <c>transformers</c> configuration class), which tensors it has (names and shapes in
/// <c>named_parameters()</c> order, as its modeling file registers them), and what each part computes in a training
/// step (the op graph the planner simulates). The profiler's TorchSharp model builds its parts from the same
/// <see cref="ModelLayout"/>. Every family is one object in <see cref="ModelFamilies.All"/>; adding one is one new
/// file in <c>src/Planner/Models/Families</c> (plus its TorchSharp twin in <c>src/Profiler/Model/Families</c>).
/// </summary>
public abstract class ModelFamily
{
    /// <summary>Hugging Face's <c>model_type</c> (<c>llama</c>, <c>qwen2</c>, …): the key in <c>config.json</c>.</summary>
    public abstract string ModelType { get; }

    /// <summary>One line: what the family's blocks are made of, for <c>--help</c>, <c>models</c> and the README.</summary>
    public abstract string Summary { get; }

    /// <summary>Reads a configuration (fields and defaults of the family's <c>transformers</c> config class).</summary>
    public abstract ModelConfig Parse(HfConfigReader config);

    /// <summary>Checks what this family needs of a configuration beyond <see cref="ModelConfig.Validate"/>.</summary>
    public virtual void Validate(ModelConfig c) { }

    /// <summary>The model's parameters and parts.</summary>
    public abstract ModelLayout Layout(ModelConfig c);

    /// <summary>The op graph of one part under a precision, runtime flavour and attention kind. Its parameter roles
    /// are the role names the part's <see cref="LayoutPart.Roles"/> bind.</summary>
    public abstract OpGraph Graph(PartDesign design, GraphContext context);

    public override string ToString() => ModelType;
}
