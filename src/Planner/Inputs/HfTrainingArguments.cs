using System.Text.Json;
using GaLore.Planner.Memory;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Inputs;

/// <summary>
/// The JSON that Hugging Face's <c>TrainingArguments.to_json_string()</c> writes (<c>transformers/training_args.py</c>),
/// read as the run it describes: the fields that decide a step's memory become the planner's settings, command-line
/// options override them (<c>--training-args</c>). Fields the planner does not model but that change memory are warnings
/// naming them; every other field (learning rate, logging, output paths, …) is ignored, as it does not change the step.
/// </summary>
/// <param name="Optim"><c>optim</c>: the optimizer name (parsed by the catalogue, so an unknown name is an error).</param>
/// <param name="OptimArgs"><c>optim_args</c>: the knob string.</param>
/// <param name="Targets"><c>optim_target_modules</c>: a list (equality, substring or full regex per entry), a string (one
/// full-match regex) or <c>"all-linear"</c> — HF's semantics, <see cref="TargetModules"/>.</param>
/// <param name="Batch"><c>per_device_train_batch_size</c>.</param>
/// <param name="GradientAccumulationSteps"><c>gradient_accumulation_steps</c>: the default of <c>--grad-accum</c> (the
/// gradients kept between micro-batches are modelled by the parallel step).</param>
/// <param name="Checkpointing"><c>gradient_checkpointing</c>.</param>
/// <param name="Precision">From <c>bf16</c>/<c>fp16</c>: bf16 → <see cref="PrecisionMode.Mixed"/> (bf16 autocast over the
/// float32 weights <c>from_pretrained</c> loads by default), fp16 → <see cref="PrecisionMode.Fp16"/>, neither →
/// <see cref="PrecisionMode.Fp32"/>.</param>
/// <param name="Warnings">One line per field that changes memory in a way the planner does not model, or whose
/// reading needs saying.</param>
public sealed record HfTrainingArguments(
    string? Optim, string? OptimArgs, TargetModules? Targets, int? Batch, int? GradientAccumulationSteps, bool? Checkpointing,
    Precision? Precision, IReadOnlyList<string> Warnings)
{
    /// <summary>Reads a file (regular, at most 16 MiB; <see cref="InputFile"/>).</summary>
    public static HfTrainingArguments Load(string path) => Parse(InputFile.ReadText(path, "training arguments"), path);

    /// <summary>Parses the JSON; <paramref name="name"/> labels error messages.</summary>
    public static HfTrainingArguments Parse(string json, string name)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (JsonException e) { throw new PlannerInputException($"training arguments '{name}' are not valid JSON: {e.Message}", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new PlannerInputException($"training arguments '{name}' must be a JSON object (TrainingArguments.to_json_string())");
            var r = new Fields(root, name);
            var warnings = new List<string>();
            string? optim = r.OptionalString("optim");
            string? optimArgs = r.OptionalString("optim_args");
            var targets = TargetsOf(root, name);
            int? batch = r.OptionalInt("per_device_train_batch_size");
            if (batch is { } b) InputBounds.Positive(b, InputBounds.MaxBatch, $"training arguments '{name}': per_device_train_batch_size");
            int? accum = r.OptionalInt("gradient_accumulation_steps");
            if (accum is { } a)
            {
                InputBounds.Positive(a, 1 << 20, $"training arguments '{name}': gradient_accumulation_steps");
                if (a > 1 && optim is not null && optim.Contains("layerwise", StringComparison.OrdinalIgnoreCase))
                    throw new PlannerInputException(
                        $"training arguments '{name}': optim {optim} with gradient_accumulation_steps {a}: Hugging Face raises ValueError (layerwise updates do not support gradient accumulation)");
            }
            bool? ckpt = r.OptionalBool("gradient_checkpointing");
            bool bf16 = r.OptionalBool("bf16") ?? false, fp16 = r.OptionalBool("fp16") ?? false;
            if (bf16 && fp16) throw new PlannerInputException($"training arguments '{name}': bf16 and fp16 are both true (Hugging Face raises ValueError)");
            Precision? precision = null;
            if (r.Has("bf16") || r.Has("fp16"))
            {
                precision = new Precision(bf16 ? PrecisionMode.Mixed : fp16 ? PrecisionMode.Fp16 : PrecisionMode.Fp32);
                if (bf16) warnings.Add("bf16=true is planned as bf16 autocast over float32 weights (--dtype mixed), what Trainer does with a model loaded in float32; for a model loaded in bfloat16 pass --dtype bf16");
            }
            Unmodelled(r, warnings);
            return new HfTrainingArguments(optim, optimArgs, targets, batch, accum, ckpt, precision, warnings);
        }
    }

    /// <summary>HF's <c>optim_target_modules</c>: null, a list of names/patterns, or one string (a full-match regex, or
    /// <c>all-linear</c>).</summary>
    static TargetModules? TargetsOf(JsonElement root, string name)
    {
        if (!root.TryGetProperty("optim_target_modules", out var e) || e.ValueKind == JsonValueKind.Null) return null;
        if (e.ValueKind == JsonValueKind.String)
        {
            string s = e.GetString()!;
            return s.Replace('_', '-').Equals("all-linear", StringComparison.OrdinalIgnoreCase) ? TargetModules.Parse("all-linear") : TargetModules.Parse("regex:" + s);
        }
        if (e.ValueKind != JsonValueKind.Array)
            throw new PlannerInputException($"training arguments '{name}': optim_target_modules must be a string or a list of strings");
        var list = new List<string>();
        foreach (var x in e.EnumerateArray())
        {
            if (x.ValueKind != JsonValueKind.String)
                throw new PlannerInputException($"training arguments '{name}': optim_target_modules must be a list of strings, got {x.ValueKind}");
            list.Add(x.GetString()!);
        }
        return TargetModules.FromList(list);
    }

    /// <summary>Fields that change memory in ways the planner does not model: one warning each, when set.</summary>
    static void Unmodelled(Fields r, List<string> warnings)
    {
        void IfTrue(string field, string why)
        {
            if (r.Has(field) && r.OptionalBool(field) == true) warnings.Add($"{field}=true: {why}; not modelled");
        }
        void IfSet(string field, string why, params string[] harmless)
        {
            if (!r.Has(field)) return;
            string? v = r.OptionalString(field);
            if (v is null || v.Length == 0 || Array.IndexOf(harmless, v) >= 0) return;
            warnings.Add($"{field}={v}: {why}; not modelled");
        }
        IfTrue("torch_compile", "compiled kernels fuse ops and free activations earlier");
        IfTrue("use_liger_kernel", "Liger kernels fuse the loss and norms (less activation memory)");
        IfTrue("auto_find_batch_size", "Trainer halves the batch after an out-of-memory error; the plan is for the batch given");
        IfTrue("use_cpu", "the run trains on the CPU, the plan is for a GPU");
        if (r.Has("deepspeed"))
            warnings.Add("deepspeed is set: ZeRO sharding and offload change what each GPU holds; not modelled here");
        if (r.Has("fsdp") && FsdpText(r) is { Length: > 0 } fsdp)
            warnings.Add($"fsdp={fsdp}: sharding changes what each GPU holds; not modelled here");
        IfSet("half_precision_backend", "a backend other than torch.amp keeps different copies", "auto", "cpu_amp");
        if (r.OptionalDouble("label_smoothing_factor") is > 0)
            warnings.Add("label_smoothing_factor > 0: Trainer's LabelSmoother takes a log-softmax of the logits outside the model; not modelled");
    }

    /// <summary><c>fsdp</c> is a string or a list of option names in HF's JSON; empty means off.</summary>
    static string FsdpText(Fields r) => r.StringOrList("fsdp");

    /// <summary>Typed reads of the JSON object; a wrong type is an error naming the file and the field, null counts as absent.</summary>
    sealed class Fields(JsonElement root, string name)
    {
        public bool Has(string field) => root.TryGetProperty(field, out var e) && e.ValueKind != JsonValueKind.Null;

        JsonElement? Get(string field) => root.TryGetProperty(field, out var e) && e.ValueKind != JsonValueKind.Null ? e : null;

        PlannerInputException Wrong(string field, string kind, JsonElement e)
        {
            string raw = e.GetRawText();
            return new PlannerInputException($"training arguments '{name}': {field} must be {kind}, got {(raw.Length <= 40 ? raw : raw[..40] + "…")}");
        }

        public string? OptionalString(string field) => Get(field) is not { } e ? null
            : e.ValueKind == JsonValueKind.String ? e.GetString() : throw Wrong(field, "a string", e);

        public int? OptionalInt(string field) => Get(field) is not { } e ? null
            : e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out int v) ? v : throw Wrong(field, "an integer", e);

        public double? OptionalDouble(string field) => Get(field) is not { } e ? null
            : e.ValueKind == JsonValueKind.Number && e.TryGetDouble(out double v) && double.IsFinite(v) ? v : throw Wrong(field, "a number", e);

        public bool? OptionalBool(string field) => Get(field) is not { } e ? null
            : e.ValueKind switch { JsonValueKind.True => true, JsonValueKind.False => false, _ => throw Wrong(field, "true or false", e) };

        public string StringOrList(string field)
        {
            if (Get(field) is not { } e) return "";
            if (e.ValueKind == JsonValueKind.String) return e.GetString()!;
            if (e.ValueKind != JsonValueKind.Array) throw Wrong(field, "a string or a list of strings", e);
            var parts = new List<string>();
            foreach (var x in e.EnumerateArray())
                parts.Add(x.ValueKind == JsonValueKind.String ? x.GetString()! : throw Wrong(field, "a list of strings", x));
            return string.Join(" ", parts);
        }
    }
}
