using GaLore.Planner;
using GaLore.Planner.Devices;
using GaLore.Planner.Fit;
using GaLore.Planner.Inputs;
using GaLore.Planner.Memory;
using GaLore.Planner.Models;
using GaLore.Planner.Optimizers;

namespace GaLore.Planner.Tests.Inputs;

/// <summary>Hugging Face's TrainingArguments JSON read as the run it describes, and fp16 mixed precision.</summary>
public class TrainingArgumentsTests
{
    // Fields as TrainingArguments.to_json_string() writes them (transformers 4.5x), trimmed to the interesting ones plus
    // a few harmless ones.
    const string Json = """
        {
          "output_dir": "out", "overwrite_output_dir": false, "do_train": true, "learning_rate": 1e-05, "weight_decay": 0.0,
          "per_device_train_batch_size": 4, "per_device_eval_batch_size": 8, "gradient_accumulation_steps": 1,
          "gradient_checkpointing": true, "gradient_checkpointing_kwargs": null, "bf16": false, "fp16": true, "tf32": null,
          "optim": "galore_adamw_8bit", "optim_args": "rank=64, update_proj_gap=500, scale=0.25", "optim_target_modules": ["attn", "mlp"],
          "max_grad_norm": 1.0, "logging_steps": 10, "seed": 42, "deepspeed": null, "fsdp": [], "torch_compile": false,
          "report_to": ["none"], "some_future_key": {"nested": [1, 2, 3]}
        }
        """;

    [Fact]
    public void The_fields_that_decide_memory_become_the_step()
    {
        var a = HfTrainingArguments.Parse(Json, "args.json");
        Assert.Equal("galore_adamw_8bit", a.Optim);
        Assert.Equal("rank=64, update_proj_gap=500, scale=0.25", a.OptimArgs);
        Assert.Equal("attn,mlp", a.Targets!.ToString());
        Assert.Equal(4, a.Batch);
        Assert.Equal(1, a.GradientAccumulationSteps);
        Assert.True(a.Checkpointing);
        Assert.Equal(PrecisionMode.Fp16, a.Precision!.Value.Mode);
        Assert.Empty(a.Warnings);   // unknown and harmless keys are ignored
    }

    [Fact]
    public void Target_modules_as_a_string_are_one_full_match_regex_and_all_linear_is_special()
    {
        Assert.Equal("regex:.*(q|v)_proj", HfTrainingArguments.Parse("""{"optim_target_modules": ".*(q|v)_proj"}""", "a").Targets!.ToString());
        Assert.True(HfTrainingArguments.Parse("""{"optim_target_modules": "all-linear"}""", "a").Targets!.AllLinear);
    }

    [Fact]
    public void Memory_changing_fields_that_are_not_modelled_are_warnings_naming_them()
    {
        var a = HfTrainingArguments.Parse("""
            {"gradient_accumulation_steps": 8, "bf16": true, "torch_compile": true, "deepspeed": "ds.json", "fsdp": "full_shard auto_wrap",
             "auto_find_batch_size": true, "label_smoothing_factor": 0.1, "use_liger_kernel": true}
            """, "a");
        string all = string.Join("\n", a.Warnings);
        Assert.DoesNotContain("gradient_accumulation_steps", all);   // modelled: it becomes --grad-accum
        foreach (var field in new[] { "bf16=true", "torch_compile=true", "deepspeed", "fsdp=full_shard auto_wrap",
                     "auto_find_batch_size=true", "label_smoothing_factor", "use_liger_kernel=true" })
            Assert.Contains(field, all);
        Assert.Equal(8, a.GradientAccumulationSteps);
        Assert.Equal(PrecisionMode.Mixed, a.Precision!.Value.Mode);
    }

    [Theory]
    [InlineData("""{"bf16": true, "fp16": true}""", "bf16 and fp16 are both true")]
    [InlineData("""{"optim": "galore_adamw_layerwise", "gradient_accumulation_steps": 2}""", "layerwise updates do not support gradient accumulation")]
    [InlineData("""{"per_device_train_batch_size": 0}""", "per_device_train_batch_size must be positive")]
    [InlineData("""{"per_device_train_batch_size": "4"}""", "per_device_train_batch_size must be an integer")]
    [InlineData("""{"optim_target_modules": 5}""", "optim_target_modules must be a string or a list")]
    [InlineData("""[1, 2]""", "must be a JSON object")]
    [InlineData("""{"bf16": tru""", "not valid JSON")]
    public void Bad_training_arguments_are_one_line_errors(string json, string fragment) =>
        Assert.Contains(fragment, Assert.Throws<PlannerInputException>(() => HfTrainingArguments.Parse(json, "args.json")).Message);

    [Fact]
    public void Fp16_keeps_the_tensors_of_bf16_mixed_precision()
    {
        // fp16 autocast with a GradScaler keeps exactly the tensors bf16 autocast keeps (fp32 masters, 16-bit copies and
        // matmul outputs): the scale is a one-element tensor and unscale_ works in place.
        var model = ModelPresets.Find("llama-1b")!;
        var gpu = GpuCatalog.Resolve("a100-80gb");
        long Peak(PrecisionMode mode) => FitCalculator.Estimate(new FitQuery(new StepSpec(model, OptimizerSetup.FromName("galore_adamw"), new Precision(mode)), 2, 512, gpu)).DeviceUsedBytes;
        Assert.Equal(Peak(PrecisionMode.Mixed), Peak(PrecisionMode.Fp16));
        Assert.NotEqual(Peak(PrecisionMode.Bf16), Peak(PrecisionMode.Fp16));
        Assert.Equal(PrecisionMode.Fp16, Precision.Parse("fp16").Mode);
        Assert.Equal("fp16", new Precision(PrecisionMode.Fp16).Name);
        Assert.True(new Precision(PrecisionMode.Fp16).CastsWeights);
        Assert.False(new Precision(PrecisionMode.Fp16).UsesBf16);
    }

    [Theory]
    [InlineData("t4", PrecisionMode.Bf16, true)]
    [InlineData("v100-32gb", PrecisionMode.Mixed, true)]
    [InlineData("v100-32gb", PrecisionMode.Fp16, false)]
    [InlineData("t4", PrecisionMode.Fp32, false)]
    [InlineData("a100-80gb", PrecisionMode.Bf16, false)]
    public void Bf16_on_a_card_without_it_is_warned(string gpu, PrecisionMode mode, bool warned) =>
        Assert.Equal(warned, FitCalculator.Bf16Warning(new Precision(mode), GpuCatalog.Resolve(gpu)) is not null);
}
