"""The deterministic demo district (`fangyi demo`): a Pingshan-shaped place tree, its
residents, staff and one login per role. See generate.py for how rows are made."""
