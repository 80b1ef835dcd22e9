using System.CommandLine;
using System.Globalization;
using GaLore.Cli.Options;
using GaLore.Cli.Output;
using GaLore.Cli.Profiling;
using GaLore.Profiler.Measurement;
using GaLore.Profiler.Validation;

namespace GaLore.Cli.Commands;

/// <summary>
/// <c>galore-plan profile</c>: trains one configuration for a few real steps with this project's TorchSharp model and
/// GaLore kernels (in a child process), measures its peak memory, and puts the planner's prediction beside it.
/// </summary>
public static class ProfileCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var step = new StepOptions();
        // A default that trains in seconds on a CPU (the planner's default, a 7B model, would take many minutes).
        step.Model.DefaultValueFactory = _ => ProfileOptions.DefaultModel;
        step.Model.Description = $"Model preset, Hugging Face id or config.json (default {ProfileOptions.DefaultModel}: trains in seconds on a CPU)";
        step.Optim.DefaultValueFactory = _ => ProfileOptions.DefaultOptimizer;
        step.Optim.Description = $"Optimizer, as Hugging Face names it (default {ProfileOptions.DefaultOptimizer})";
        var where = new ProfileOptions();
        var json = new Option<bool>("--json") { Description = "Print one JSON object (bytes): predicted_peak_bytes, measured_peak_bytes, error_pct, …" };
        var predictOnly = new Option<bool>("--predict-only")
        {
            Description = "Check the inputs and print the planner's prediction for the run (the same step, runtime torchsharp) without training",
        };
        var cmd = new Command("profile",
            "Train one configuration for a few steps with this project's TorchSharp kernels, measure the peak memory, and compare it with the planner " +
            "(runtime torchsharp). CPU: resident memory above the process's warmed-up baseline. The step includes a GaLore projector refresh " +
            $"(update_proj_gap defaults to {ProfileOptions.DefaultProfileGap} here). Example: galore-plan profile -m llama-60m -o galore_adamw -b 4 -s 256");
        step.AddTo(cmd);
        where.AddTo(cmd);
        cmd.Options.Add(json);
        cmd.Options.Add(predictOnly);
        cmd.SetAction(r =>
        {
            var c = ProfileOptions.Case(step, r);
            var device = where.BindDeviceProfile(r);
            var request = c.Request(where.BindDevice(r));
            var timeout = where.BindTimeout(r);
            // Predicting first checks every input the planner checks (a rank above a weight's side, targets that match
            // nothing) before a child process starts.
            var predicted = ValidationRow.Predict(c, device);
            if (r.GetValue(predictOnly))
            {
                if (r.GetValue(json)) JsonOutput.Print(r.InvocationConfiguration.Output, j => ProfileOutput.WritePredictionJson(j, c, predicted));
                else ProfileOutput.WritePrediction(r.InvocationConfiguration.Output, c, predicted);
                return 0;
            }
            LibTorchCheck.Require("profile");
            r.InvocationConfiguration.Error.WriteLine($"profiling {c.Key} on {request.Device} (a child process; this takes a while) ...");
            var result = ChildProcessRunner.Run(WorkerLauncher.Command(timeout), request);
            var row = ValidationRow.Of(c, device, result);
            var output = r.InvocationConfiguration.Output;
            if (r.GetValue(json)) JsonOutput.Print(output, j => ProfileOutput.WriteJson(j, row));
            else ProfileOutput.WriteText(output, row);
            return result.Ok ? 0 : 1;
        });
        return cmd;
    }
}
