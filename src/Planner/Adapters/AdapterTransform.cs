using GaLore.Planner.Models;
using GaLore.Planner.Models.Layout;

namespace GaLore.Planner.Adapters;

/// <summary>
/// Applies an <see cref="AdapterSetup"/> to a family's <see cref="ModelLayout"/> as <c>get_peft_model</c> (and, for a
/// quantized base, transformers' bitsandbytes loading) does — families never see adapters:
/// <list type="bullet">
/// <item>targets are matched against the Linear modules' names (<see cref="PeftTargets"/>); a target matching no Linear, or
/// matching a module that is not an <c>nn.Linear</c> (an embedding, a norm), is an error;</item>
/// <item>each adapted module gets <c>lora_A</c> (r × in) and <c>lora_B</c> (out × r) after its own tensors
/// (<c>LoraLayer.update_layer</c>), and with DoRA <c>lora_magnitude_vector</c> (out), bound to the part under the roles
/// <see cref="AdapterRoles"/> names;</item>
/// <item>every base parameter is frozen; with <c>--base-quant</c> every <c>nn.Linear</c> weight except the output embedding
/// (<c>get_keys_to_not_convert</c>: lm_head, and a tied lm_head which is the embedding) is stored quantized, embeddings
/// and norms stay in the load dtype.</item>
/// </list>
/// </summary>
public static class AdapterTransform
{
    /// <summary>The wrapped layout. <paramref name="dequantScratchBytes"/>: the runtime's constant 4-bit dequantization scratch.</summary>
    public static AdaptedLayout Apply(ModelLayout layout, AdapterSetup setup, long dequantScratchBytes = 0)
    {
        setup.Validate();
        var config = layout.Config;
        var targets = setup.Targets ?? PeftTargets.DefaultFor(config.Family.ModelType);
        var old = layout.Parameters;
        int n = old.Count;

        // The role each parameter has in the part that introduces it.
        var owner = new int[n];
        var roleOf = new string[n];
        for (int pi = 0; pi < layout.Parts.Count; pi++)
        {
            var part = layout.Parts[pi];
            foreach (int k in part.Owned) owner[k] = pi;
            foreach (var r in part.Roles)
                if (owner[r.Parameter] == pi) roleOf[r.Parameter] ??= r.Role;
        }

        // Which modules are Linear, and which of them are targets.
        var linearModules = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in old)
            if (IsLinearWeight(t)) linearModules.Add(t.Module);
        var adapted = new HashSet<string>(StringComparer.Ordinal);
        foreach (var t in old)
        {
            bool linear = linearModules.Contains(t.Module);
            if (!targets.Matches(t.Module, isOutputEmbedding: t.Kind == TensorKind.LmHead)) continue;
            if (!linear && !targets.AllLinear)
                throw new PlannerInputException(t.Kind == TensorKind.Conv1D
                    ? $"LoRA target '{targets}' matches {t.Module}, a transformers Conv1D (GPT-2's [in, out] projection): peft adapts it " +
                      "(fan_in_fan_out=True), but LoRA on Conv1D is not modelled here"
                    : $"LoRA target '{targets}' matches {t.Module}, which is not an nn.Linear: adapters on embeddings and norms are not modelled");
            if (linear) adapted.Add(t.Module);
        }
        if (adapted.Count == 0)
            throw new PlannerInputException($"LoRA target modules '{targets}' match no Linear module of the model (peft raises the same)");

        var list = new List<ParameterTensor>(n + 3 * adapted.Count);
        var trainable = new List<bool>(list.Capacity);
        var quant = new List<BaseQuant>(list.Capacity);
        var newIndex = new int[n];
        var extra = new List<RoleBinding>[layout.Parts.Count];
        for (int pi = 0; pi < extra.Length; pi++) extra[pi] = [];
        var done = new HashSet<string>(StringComparer.Ordinal);
        int Add(ParameterTensor t, bool train, BaseQuant q)
        {
            list.Add(t);
            trainable.Add(train);
            quant.Add(q);
            return list.Count - 1;
        }
        int weight = -1;
        for (int k = 0; k < n; k++)
        {
            var t = old[k];
            bool isAdapted = adapted.Contains(t.Module);
            var q = IsLinearWeight(t) && t.Kind != TensorKind.LmHead ? setup.Quant : BaseQuant.None;
            var renamed = isAdapted ? t with { Name = t.Module + ".base_layer" + t.Name[t.Module.Length..] } : t;
            newIndex[k] = Add(renamed, false, q);
            if (IsLinearWeight(t)) weight = k;
            bool lastOfModule = k == n - 1 || old[k + 1].Module != t.Module;
            if (!isAdapted || !lastOfModule) continue;
            if (weight < 0 || old[weight].Module != t.Module || !done.Add(t.Module))
                throw new InvalidOperationException($"module {t.Module}'s tensors are not consecutive in the layout, or it has no weight");
            var w = old[weight];
            string role = roleOf[weight];
            string m = t.Module;
            int a = Add(new ParameterTensor($"{m}.lora_A.default.weight", $"{m}.lora_A.default", TensorKind.AdapterMatrix, w.Layer, setup.Rank, w.Cols), true, BaseQuant.None); // r × in
            int b = Add(new ParameterTensor($"{m}.lora_B.default.weight", $"{m}.lora_B.default", TensorKind.AdapterMatrix, w.Layer, w.Rows, setup.Rank), true, BaseQuant.None); // out × r
            extra[owner[weight]].Add(new RoleBinding(AdapterRoles.A(role), a));
            extra[owner[weight]].Add(new RoleBinding(AdapterRoles.B(role), b));
            if (setup.Method == PeftMethod.Dora)
            {
                int mag = Add(new ParameterTensor($"{m}.lora_magnitude_vector.default.weight", $"{m}.lora_magnitude_vector.default",
                    TensorKind.AdapterVector, w.Layer, w.Rows, 1), true, BaseQuant.None);                                                   // out
                extra[owner[weight]].Add(new RoleBinding(AdapterRoles.Magnitude(role), mag));
            }
        }

        var parts = new LayoutPart[layout.Parts.Count];
        var partAdapters = new PartAdapters[parts.Length];
        for (int pi = 0; pi < parts.Length; pi++)
        {
            var part = layout.Parts[pi];
            var roles = new List<RoleBinding>(part.Roles.Count + extra[pi].Count);
            var linears = new List<LinearAdapter>();
            foreach (var r in part.Roles)
            {
                roles.Add(new RoleBinding(r.Role, newIndex[r.Parameter]));
                var t = old[r.Parameter];
                if (!IsLinearWeight(t)) continue;
                bool target = adapted.Contains(t.Module);
                linears.Add(new LinearAdapter(r.Role, quant[newIndex[r.Parameter]], setup.DoubleQuant,
                    target ? setup.Rank : 0, target && setup.Method == PeftMethod.Dora, target && setup.Dropout > 0));
            }
            roles.AddRange(extra[pi]);
            var owned = new List<int>(part.Owned.Count + extra[pi].Count);
            foreach (int k in part.Owned) owned.Add(newIndex[k]);
            foreach (var r in extra[pi]) owned.Add(r.Parameter);
            parts[pi] = new LayoutPart(part.Design, part.Layer, roles, owned);
            partAdapters[pi] = new PartAdapters(linears, false, false, setup.FourBit ? dequantScratchBytes : 0);
        }
        var wrapped = new ModelLayout(config, list.ToArray(), parts);
        return new AdaptedLayout(setup, wrapped, trainable.ToArray(), quant.ToArray(), partAdapters);
    }

    /// <summary>The weight of an <c>nn.Linear</c> (what peft wraps and bitsandbytes quantizes).</summary>
    static bool IsLinearWeight(ParameterTensor t) => t.IsLinearWeight && t.Name.EndsWith(".weight", StringComparison.Ordinal);
}
