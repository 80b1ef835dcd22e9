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
        var cmd = new Command("models", "List the built-in model presets, or describe one config.json (parameters, and parameters GaLore projects).")
        {
            config, targets, json,
        };
        cmd.SetAction(r =>
        {
            var selection = TargetModules.Parse(r.GetValue(targets)!);
            var models = r.GetValue(config) is { } path ? [ModelResolver.Resolve(path)] : ModelPresets.All;
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
            var t = new TextTable("model", "family", "params", "GaLore params", "hidden", "inter", "layers", "heads", "kv", "vocab", "tied");
            foreach (var (m, p, g) in rows)
                t.Add(m.Name, m.Family.ToString().ToLowerInvariant(), Units.Params(p), Units.Params(g), m.HiddenSize.ToString(), m.IntermediateSize.ToString(),
                    m.NumLayers.ToString(), m.NumHeads.ToString(), m.NumKeyValueHeads.ToString(), m.VocabSize.ToString(), m.TieWordEmbeddings ? "yes" : "no");
            t.WriteTo(output);
            output.WriteLine($"GaLore params: weights of Linear modules matching target modules '{selection}'.");
            return 0;
        });
        return cmd;
    }

    static (ModelConfig Model, long Parameters, long GaLore) Describe(ModelConfig m, TargetModules targets)
    {
        var table = ParameterTable.Build(m);
        var mask = new OptimizerSetup(OptimizerSpec.Parse("galore_adamw"), GaLoreSettings.Default with { Rank = 1 }, targets).SelectGaLore(table);
        long p = 0, g = 0;
        for (int k = 0; k < table.Count; k++)
        {
            p += table[k].Elements;
            if (mask[k]) g += table[k].Elements;
        }
        return (m, p, g);
    }

    static void WriteModel(Utf8JsonWriter j, (ModelConfig Model, long Parameters, long GaLore) row, bool withFormat = false)
    {
        var m = row.Model;
        j.WriteStartObject();
        if (withFormat) JsonOutput.WriteFormat(j, "models");
        j.WriteString("name", m.Name);
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
        j.WriteEndObject();
    }
}
