namespace GaLore.Planner.Models.Layout;

/// <summary>
/// Builds a <see cref="ModelLayout"/> part by part, in forward order; each <see cref="Param"/> adds a tensor to the
/// parameter table (so the table's order is the order families declare tensors in, which they keep equal to
/// Hugging Face's module registration order) and binds it to a role of the current part.
/// </summary>
public sealed class LayoutBuilder(ModelConfig config)
{
    readonly List<ParameterTensor> parameters = [];
    readonly List<LayoutPart> parts = [];
    List<RoleBinding> roles = [];
    List<int> owned = [];

    /// <summary>Adds a parameter to the current part under <paramref name="role"/>; returns its index.</summary>
    public int Param(string role, ParameterTensor tensor)
    {
        parameters.Add(tensor);
        int index = parameters.Count - 1;
        roles.Add(new RoleBinding(role, index));
        owned.Add(index);
        return index;
    }

    /// <summary>Binds an earlier part's parameter to a role of the current part (a tied weight).</summary>
    public void Share(string role, int parameter) => roles.Add(new RoleBinding(role, parameter));

    /// <summary>Closes the current part with its design; the parameters added since the last part belong to it.</summary>
    public void EndPart(PartDesign design, int layer = -1)
    {
        parts.Add(new LayoutPart(design, layer, roles, owned));
        roles = [];
        owned = [];
    }

    /// <summary>The finished layout; <paramref name="longSequenceFrom"/> and <paramref name="buffers"/>: see
    /// <see cref="ModelLayout.LongSequenceFrom"/> and <see cref="ModelLayout.Buffers"/>. Its parameter count is summed with
    /// checked arithmetic and must stay within <see cref="Inputs.InputBounds.MaxParameters"/>, so every size formed from it
    /// (bytes of weights, gradients and states) fits a 64-bit integer.</summary>
    public ModelLayout Build(int longSequenceFrom = 0, long[]? buffers = null)
    {
        if (roles.Count > 0) throw new InvalidOperationException("parameters were added after the last part was closed");
        long total = 0;
        try
        {
            foreach (var t in parameters)
            {
                if (t.Rows <= 0 || t.Cols <= 0 || t.Count <= 0)
                    throw new PlannerInputException($"model '{config.Name}': {t.Name} has shape {string.Join("×", t.Shape())}");
                total = checked(total + checked(t.Count * checked(t.Rows * t.Cols)));
            }
        }
        catch (OverflowException)
        {
            throw new PlannerInputException($"model '{config.Name}': its parameter count overflows 64 bits — no real model is this large");
        }
        if (total > Inputs.InputBounds.MaxParameters)
            throw new PlannerInputException(
                $"model '{config.Name}' has {total:N0} parameters, beyond any trainable model (at most {Inputs.InputBounds.MaxParameters:N0})");
        return new ModelLayout(config, parameters.ToArray(), parts.ToArray()) { LongSequenceFrom = longSequenceFrom, Buffers = buffers ?? [] };
    }
}
