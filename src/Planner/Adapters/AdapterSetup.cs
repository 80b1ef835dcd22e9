using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Adapters;

/// <summary>Which peft adapter trains on the frozen base.</summary>
public enum PeftMethod
{
    /// <summary>LoRA (Hu et al. 2021, arXiv 2106.09685): y = W·x + B·A·x · α/r, A (r × in) and B (out × r) trainable.</summary>
    Lora,
    /// <summary>DoRA (Liu et al. 2024, arXiv 2402.09353): LoRA plus a trainable magnitude per output row,
    /// y = m / ‖W + B·A·α/r‖ (row norm, detached) · (W + B·A·α/r)·x (peft <c>use_dora=True</c>).</summary>
    Dora,
}

/// <summary>How bitsandbytes stores the frozen base's Linear weights (transformers' <c>BitsAndBytesConfig</c>).</summary>
public enum BaseQuant
{
    /// <summary>Not quantized: the base keeps its weights in the load dtype.</summary>
    None,
    /// <summary>4-bit NormalFloat (<c>load_in_4bit=True, bnb_4bit_quant_type="nf4"</c>; Dettmers et al. 2023, arXiv 2305.14314).</summary>
    Nf4,
    /// <summary>4-bit float (<c>bnb_4bit_quant_type="fp4"</c>, transformers' default 4-bit type).</summary>
    Fp4,
    /// <summary>LLM.int8() (<c>load_in_8bit=True</c>; Dettmers et al. 2022, arXiv 2208.07339): int8 rows and a float32 scale per row.</summary>
    Int8,
}

/// <summary>
/// Adapter fine-tuning as peft does it (<c>LoraConfig</c>, <c>get_peft_model</c>), optionally on a bitsandbytes-quantized
/// base (QLoRA). Defaults are <c>LoraConfig</c>'s: r = 8, lora_alpha = 8, lora_dropout = 0, target_modules = the
/// architecture's default (<see cref="PeftTargets.DefaultFor"/>), no bias training, no rsLoRA. peft's default
/// <c>autocast_adapter_dtype=True</c> keeps every adapter tensor in float32 (<see cref="AdapterBytes"/>), whatever the
/// base's dtype. Every base parameter is frozen: no gradient, no optimizer state.
/// </summary>
/// <param name="Method">LoRA or DoRA.</param>
/// <param name="Rank">r.</param>
/// <param name="Alpha">lora_alpha (scaling = α / r).</param>
/// <param name="Dropout">lora_dropout; above 0 an <c>nn.Dropout</c> (a mask per adapted input) replaces the identity.</param>
/// <param name="Targets">target_modules; null = peft's default for the model's architecture.</param>
/// <param name="Quant">How the base's Linear weights are stored.</param>
/// <param name="DoubleQuant"><c>bnb_4bit_use_double_quant</c>: the 64-block absmax quantized to 8 bits in blocks of 256.</param>
public sealed record AdapterSetup(PeftMethod Method, int Rank = 8, double Alpha = 8, double Dropout = 0, PeftTargets? Targets = null,
    BaseQuant Quant = BaseQuant.None, bool DoubleQuant = false)
{
    /// <summary>Bytes per adapter element: float32 (peft's <c>cast_adapter_dtype</c> upcasts bf16/fp16 adapters).</summary>
    public const int AdapterBytes = 4;

    /// <summary>α / r, the factor on the adapter's output.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public double Scaling => Alpha / Rank;

    /// <summary>Whether the base is stored in 4 bits.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public bool FourBit => Quant is BaseQuant.Nf4 or BaseQuant.Fp4;

    /// <summary>Checks the values as peft and bitsandbytes would; throws <see cref="PlannerInputException"/>.</summary>
    public AdapterSetup Validate()
    {
        if (Rank < 1) throw new PlannerInputException($"--lora-r must be a positive integer, got {Rank}");
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) throw new PlannerInputException($"--lora-alpha must be a positive number, got {Alpha}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new PlannerInputException($"--lora-dropout must be in [0, 1), got {Dropout}");
        if (DoubleQuant && !FourBit)
            throw new PlannerInputException("--double-quant quantizes the absmax of a 4-bit base: it needs --base-quant nf4 or fp4");
        return this;
    }

    /// <summary>
    /// Refuses optimizers that project full-parameter gradients: GaLore and APOLLO update every weight through a low-rank
    /// projection, peft freezes the weights and trains adapters, and Hugging Face offers no combination of the two.
    /// </summary>
    public static void CheckOptimizer(OptimizerSpec spec)
    {
        if (!CanTrain(spec))
            throw new PlannerInputException(
                $"--peft trains adapters on a frozen base, while {spec.Name} projects full-parameter gradients; Hugging Face offers no combination of the two (use adamw, adamw_8bit or adafactor with --peft)");
    }

    /// <summary>Whether <paramref name="spec"/> can train adapters (not a GaLore or APOLLO name).</summary>
    public static bool CanTrain(OptimizerSpec spec) =>
        !spec.GaLore && !spec.Name.StartsWith("galore_", StringComparison.Ordinal) && !spec.Name.StartsWith("apollo", StringComparison.Ordinal);

    /// <summary>Short description, e.g. <c>QLoRA nf4+dq r=8 α=8 on q_proj,v_proj</c>.</summary>
    public string Describe(string modelType)
    {
        string method = Method == PeftMethod.Dora ? "DoRA" : "LoRA";
        string quant = Quant switch
        {
            BaseQuant.None => "",
            BaseQuant.Nf4 => " (nf4" + (DoubleQuant ? " + double quant" : "") + " base)",
            BaseQuant.Fp4 => " (fp4" + (DoubleQuant ? " + double quant" : "") + " base)",
            BaseQuant.Int8 => " (int8 base)",
            _ => throw new InvalidOperationException($"unknown base quantization {Quant}"),
        };
        string prefix = Quant == BaseQuant.None ? "" : "Q";
        string targets = (Targets ?? PeftTargets.DefaultFor(modelType)).ToString();
        string dropout = Dropout > 0 ? string.Create(System.Globalization.CultureInfo.InvariantCulture, $", dropout {Dropout:0.###}") : "";
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"{prefix}{method}{quant} r={Rank}, alpha={Alpha:0.###}{dropout}, targets {targets}");
    }

    /// <summary>Name of the quantization as the CLI spells it.</summary>
    public static string Name(BaseQuant q) => q switch
    {
        BaseQuant.None => "none",
        BaseQuant.Nf4 => "nf4",
        BaseQuant.Fp4 => "fp4",
        BaseQuant.Int8 => "int8",
        _ => throw new ArgumentOutOfRangeException(nameof(q), q, "unknown base quantization"),
    };

    /// <summary>Parses <c>none</c>, <c>nf4</c>, <c>fp4</c> or <c>int8</c>.</summary>
    public static BaseQuant ParseQuant(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => BaseQuant.None,
        "nf4" => BaseQuant.Nf4,
        "fp4" => BaseQuant.Fp4,
        "int8" or "8bit" => BaseQuant.Int8,
        _ => throw new PlannerInputException($"unknown --base-quant '{text}': use nf4, fp4 or int8"),
    };

    /// <summary>Parses <c>lora</c> or <c>dora</c>.</summary>
    public static PeftMethod ParseMethod(string text) => text.Trim().ToLowerInvariant() switch
    {
        "lora" => PeftMethod.Lora,
        "dora" => PeftMethod.Dora,
        _ => throw new PlannerInputException($"unknown --peft '{text}': use lora or dora"),
    };
}
