using System.CommandLine;
using System.Text.Json;
using GaLore.Cli.Output;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Cli.Commands;

/// <summary><c>galore-plan models</c>: the presets, or one config.json's shape and parameter counts.</summary>
public static class ModelsCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var config = new Option<string?>("--config", "-c") { Description = "Describe this Hugging Face config.json (or a preset name) instead of listing presets" };
        var targets = new Option<string>("--target-modules") { Description = "GaLore target modules for galore_parameters", DefaultValueFactory = _ => "attn,mlp" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var transformers = new Options.StepOptions().Transformers;
        var cmd = new Command("models", "List the built-in model presets, or describe one config.json (parameters, and parameters GaLore projects).")
        {
            config, targets, json, transformers,
        };
        cmd.SetAction(r =>
        {
            var selection = TargetModules.Parse(r.GetValue(targets)!);
            var models = r.GetValue(config) is { } path ? [ModelResolver.Resolve(path)] : ModelPresets.All;
            string version = r.GetValue(transformers)!;
            models = models.Select(m => Options.StepOptions.WithTransformers(m, version)).ToList();
            var rows = models.Select(m => Describe(m, selection)).ToList();
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json))
            {
                JsonOutput.Print(output, j =>
                {
                    if (rows.Count == 1 && r.GetValue(config) is not null) WriteModel(j, rows[0], withFormat: true);
                    else
                    {
                        j.WriteStartObject();
                        JsonOutput.WriteFormat(j, "models");
                        j.WriteStartArray("models");
                        foreach (var row in rows) WriteModel(j, row);
                        j.WriteEndArray();
                        j.WriteEndObject();
                    }
                });
                return 0;
            }
            var t = new TextTable("model", "family", "params", "GaLore params", "hidden", "inter", "layers", "heads", "kv", "vocab", "tied", "experts", "Hugging Face id");
            foreach (var (m, p, g) in rows)
                t.Add(m.Name, m.Family.ToString().ToLowerInvariant(), Units.Params(p), Units.Params(g), m.HiddenSize.ToString(), m.IntermediateSize.ToString(),
                    m.NumLayers.ToString(), m.NumHeads.ToString(), m.NumKeyValueHeads.ToString(), m.VocabSize.ToString(), m.TieWordEmbeddings ? "yes" : "no",
                    m.Moe is { } moe ? $"{moe.Experts} × {moe.ExpertIntermediateSize}, top-{moe.TopK}" + (moe.SharedExpertIntermediateSize > 0 ? $", shared {moe.SharedExpertIntermediateSize}" : "") : "-",
                    HfId(m) ?? "");
            t.WriteTo(output);
            output.WriteLine($"GaLore params: weights of Linear modules matching target modules '{selection}'.");
            return 0;
        });
        return cmd;
    }

    static (ModelConfig Model, long Parameters, long GaLore) Describe(ModelConfig m, TargetModules targets)
    {
        var table = ParameterTable.Build(m);
        bool[] mask;
        try { mask = new OptimizerSetup(OptimizerSpec.Parse("galore_adamw"), GaLoreSettings.Default with { Rank = 1 }, targets).SelectGaLore(table); }
        catch (GaLore.Planner.PlannerInputException) { mask = new bool[table.Count]; } // nothing selectable (GPT-2's Conv1D): 0 under GaLore
        long p = 0, g = 0;
        for (int k = 0; k < table.Count; k++)
        {
            p += table[k].Elements;
            if (mask[k]) g += table[k].Elements;
        }
        return (m, p, g);
    }

    /// <summary>The Hugging Face id of a preset's model, or null (a config.json, or a preset that is no published checkpoint).</summary>
    static string? HfId(ModelConfig m)
    {
        foreach (var p in ModelPresets.Catalog)
            if (p.Name == m.Name) return p.HfId;
        return null;
    }

    static void WriteModel(Utf8JsonWriter j, (ModelConfig Model, long Parameters, long GaLore) row, bool withFormat = false)
    {
        var m = row.Model;
        j.WriteStartObject();
        if (withFormat) JsonOutput.WriteFormat(j, "models");
        j.WriteString("name", m.Name);
        if (HfId(m) is { } id) j.WriteString("hf_id", id);
        else j.WriteNull("hf_id");
        j.WriteString("family", m.Family.ToString().ToLowerInvariant());
        j.WriteNumber("parameters", row.Parameters);
        j.WriteNumber("galore_parameters", row.GaLore);
        j.WriteNumber("vocab_size", m.VocabSize);
        j.WriteNumber("hidden_size", m.HiddenSize);
        j.WriteNumber("intermediate_size", m.IntermediateSize);
        j.WriteNumber("num_hidden_layers", m.NumLayers);
        j.WriteNumber("num_attention_heads", m.NumHeads);
        j.WriteNumber("num_key_value_heads", m.NumKeyValueHeads);
        j.WriteNumber("head_dim", m.HeadDim);
        j.WriteBoolean("tie_word_embeddings", m.TieWordEmbeddings);
        if (m.Moe is { } moe)
        {
            j.WriteNumber("num_experts", moe.Experts);
            j.WriteNumber("num_experts_per_tok", moe.TopK);
            j.WriteNumber("moe_intermediate_size", moe.ExpertIntermediateSize);
            j.WriteNumber("shared_expert_intermediate_size", moe.SharedExpertIntermediateSize);
            j.WriteString("moe_layout", moe.Layout == MoeLayout.Fused ? "fused (transformers 5)" : "per-expert (transformers 4)");
        }
        j.WriteEndObject();
    }
}
