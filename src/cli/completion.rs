//! Shell completions: clap_complete's scripts for `git-milestone`, and for bash the
//! `_git_milestone` function that git's own completion calls for `git milestone <TAB>`,
//! completing milestone and task ids from the repository.

use clap::{Args, Subcommand, ValueEnum};

use super::{milestone_id, open_store, CliError, Output};

/// A shell.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Shell {
    /// bash (with git's completion: `git milestone <TAB>`).
    Bash,
    /// zsh.
    Zsh,
    /// fish.
    Fish,
}

/// `completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: Shell,
}

/// `__complete`: ids for the completion scripts.
#[derive(Debug, Subcommand)]
pub enum CompleteCommand {
    /// Milestone ids.
    Milestones,
    /// Task ids of a milestone.
    Tasks {
        /// The milestone.
        milestone: String,
    },
}

/// What each command takes as positional arguments after its name(s): `m` a
/// milestone id, `t` a task id of it, `-` anything else.
const BASH_FUNCTION: &str = r#"
# git's completion calls this for `git milestone <TAB>`.
_git_milestone ()
{
	local i milestone_index=0
	for ((i = 1; i < cword; i++)); do
		if [ "${words[i]}" = "milestone" ]; then milestone_index=$i; break; fi
	done
	local positional=() word
	for word in "${words[@]:milestone_index+1:cword-milestone_index-1}"; do
		case "$word" in -*) ;; *) positional+=("$word") ;; esac
	done
	case "$cur" in
	--*)
		__gitcomp "--json --quiet --color= --no-pager --help"
		return
		;;
	esac
	local commands="init new import export edit list show status task state event events timeline phase approval monitor checkpoint recover session cleanup sync watch hooks demo completions install-man"
	if [ ${#positional[@]} -eq 0 ]; then
		__gitcomp "$commands"
		return
	fi
	local command="${positional[0]}" shape=""
	local rest=("${positional[@]:1}")
	case "$command" in
	task|state|event|phase|approval|checkpoint|session|hooks)
		local subcommands=""
		case "$command" in
		task) subcommands="add set start complete" ;;
		state) subcommands="save load" ;;
		event) subcommands="add" ;;
		phase) subcommands="set advance" ;;
		approval) subcommands="list approve reject" ;;
		checkpoint) subcommands="create list restore" ;;
		session) subcommands="start end current list show" ;;
		hooks) subcommands="install uninstall status" ;;
		esac
		if [ ${#rest[@]} -eq 0 ]; then
			__gitcomp "$subcommands"
			return
		fi
		command="$command ${rest[0]}"
		rest=("${rest[@]:1}")
		;;
	esac
	case "$command" in
	"task set"|"task start"|"task complete"|"phase set"|"phase advance") shape="m t" ;;
	"task add"|"state save"|"state load"|"event add"|"checkpoint create"|"checkpoint restore"|"checkpoint list"|"approval list"|"session start"|"session list") shape="m" ;;
	show|status|export|edit|events|timeline|monitor|recover|cleanup|watch) shape="m" ;;
	esac
	local kinds=($shape) kind="${kinds[${#rest[@]}]}"
	case "$kind" in
	m) __gitcomp_nl "$(git milestone __complete milestones 2>/dev/null)" ;;
	t) __gitcomp_nl "$(git milestone __complete tasks "${rest[0]}" 2>/dev/null)" ;;
	esac
	case "$command" in
	"task set") [ ${#rest[@]} -eq 2 ] && __gitcomp "pending in_progress completed blocked" ;;
	"phase set")
		[ ${#rest[@]} -eq 2 ] && __gitcomp "design spec task execute"
		[ ${#rest[@]} -eq 3 ] && __gitcomp "not_started in_progress completed waiting_approval approved blocked"
		;;
	completions) __gitcomp "bash zsh fish" ;;
	esac
}
"#;

pub fn completions(out: &Output, args: CompletionsArgs) -> Result<(), CliError> {
    // The plain definition: the help's one might hide the global options, which the
    // scripts must still complete after every command.
    let mut command = <super::Cli as clap::CommandFactory>::command();
    let mut script = Vec::new();
    let name = "git-milestone";
    match args.shell {
        Shell::Bash => {
            clap_complete::generate(clap_complete::Shell::Bash, &mut command, name, &mut script)
        }
        Shell::Zsh => {
            clap_complete::generate(clap_complete::Shell::Zsh, &mut command, name, &mut script)
        }
        Shell::Fish => {
            clap_complete::generate(clap_complete::Shell::Fish, &mut command, name, &mut script)
        }
    }
    let mut text = String::from_utf8_lossy(&script).into_owned();
    if let Shell::Bash = args.shell {
        text.push_str(BASH_FUNCTION);
    }
    out.line(text.trim_end())
}

pub fn complete(out: &Output, command: CompleteCommand) -> Result<(), CliError> {
    let store = open_store()?;
    let snapshot = store.snapshot()?;
    match command {
        CompleteCommand::Milestones => {
            for id in snapshot.milestone_ids()? {
                out.line(id.as_str())?;
            }
        }
        CompleteCommand::Tasks { milestone } => {
            let id = milestone_id(&milestone)?;
            if let Some(files) = snapshot.milestone(&id)? {
                for task in files.definition.tasks {
                    out.line(task.id.as_str())?;
                }
            }
        }
    }
    Ok(())
}
